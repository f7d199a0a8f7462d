import { shareCommand, unshareCommand } from './lanCommands';
import { certsCommand, exposeCommand, routesCommand, unexposeCommand } from './routeCommands';
import {
  CA_USAGE,
  MIGRATE_USAGE,
  PORTS_USAGE,
  REPLAY_USAGE,
  REQUESTS_USAGE,
  SCAFFOLD_USAGE,
  SERVE_USAGE,
} from './usage';

export interface Command {
  usage: string;
  run: (argv: string[]) => Promise<number>;
}

// The daemon, trust and scaffolding code (dockerode, acme-client, yaml, …) is loaded only by the
// commands that need it: `expose` and friends start in tens of milliseconds instead of compiling
// megabytes first. scripts/build.mjs turns each of these imports into a bundle of its own.
const serve = () => import('./serveCommand');
const ca = () => import('./caCommands');
const scaffold = () => import('./scaffoldCommands');
const ports = () => import('./portsCommands');
const requests = () => import('./requestCommands');

/** Every CLI command, in the order `help` lists them. */
export const COMMANDS: Record<string, Command> = {
  serve: { usage: SERVE_USAGE, run: async (argv) => (await serve()).serveCommand(argv) },
  expose: {
    usage:
      'expose HOST[/PATH] TARGET [--strip-prefix] [--priority N] [--acme] [--wait SECONDS] [--json] [--state-dir D]   # TARGET: http://127.0.0.1:5000 | 5000 | container:NAME[:PORT]',
    run: exposeCommand,
  },
  unexpose: { usage: 'unexpose HOST[/PATH] [--state-dir D]', run: unexposeCommand },
  routes: { usage: 'routes [--json] [--state-dir D]', run: routesCommand },
  certs: { usage: 'certs [--json] [--state-dir D]', run: certsCommand },
  share: {
    usage:
      'share [HOST] [--lan-auth USER:PASS] [--json] [--state-dir D]   # HOST on the LAN as HOST.local; no HOST: what is shared',
    run: shareCommand,
  },
  unshare: { usage: 'unshare HOST [--state-dir D]', run: unshareCommand },
  requests: { usage: REQUESTS_USAGE, run: async (argv) => (await requests()).requestsCommand(argv) },
  replay: { usage: REPLAY_USAGE, run: async (argv) => (await requests()).replayCommand(argv) },
  ca: { usage: CA_USAGE, run: async (argv) => (await ca()).caCommand(argv) },
  ports: { usage: PORTS_USAGE, run: async (argv) => (await ports()).portsCommand(argv) },
  scaffold: { usage: SCAFFOLD_USAGE, run: async (argv) => (await scaffold()).scaffoldCommand(argv) },
  migrate: { usage: MIGRATE_USAGE, run: async (argv) => (await scaffold()).migrateCommand(argv) },
};

export function usage(): string {
  return (
    "container-https — a local HTTPS proxy for containers, with a trusted local CA and Let's Encrypt.\n\nUsage:\n" +
    Object.values(COMMANDS)
      .map((c) => `  container-https ${c.usage}\n`)
      .join('') +
    '\nState dir: --state-dir, else $CONTAINER_HTTPS_STATE_DIR, else ~/.local/state/container-https.\n'
  );
}

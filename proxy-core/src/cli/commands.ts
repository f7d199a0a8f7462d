import { certsCommand, exposeCommand, routesCommand, unexposeCommand } from './routeCommands';
import { CA_USAGE, caCommand } from './caCommands';
import { SERVE_USAGE, serveCommand } from './serveCommand';
import { MIGRATE_USAGE, SCAFFOLD_USAGE, migrateCommand, scaffoldCommand } from './scaffoldCommands';

export interface Command {
  usage: string;
  run: (argv: string[]) => Promise<number>;
}

/** Every CLI command, in the order `help` lists them (design §3). */
export const COMMANDS: Record<string, Command> = {
  serve: { usage: SERVE_USAGE, run: serveCommand },
  expose: { usage: 'expose HOST TARGET [--acme] [--wait SECONDS] [--json] [--state-dir D]   # TARGET: http://127.0.0.1:5000 | 5000 | container:NAME[:PORT]', run: exposeCommand },
  unexpose: { usage: 'unexpose HOST [--state-dir D]', run: unexposeCommand },
  routes: { usage: 'routes [--json] [--state-dir D]', run: routesCommand },
  certs: { usage: 'certs [--json] [--state-dir D]', run: certsCommand },
  ca: { usage: CA_USAGE, run: caCommand },
  scaffold: { usage: SCAFFOLD_USAGE, run: scaffoldCommand },
  migrate: { usage: MIGRATE_USAGE, run: migrateCommand },
};

export function usage(): string {
  return (
    'container-https — a local HTTPS proxy for containers, with a trusted local CA and Let\'s Encrypt.\n\nUsage:\n' +
    Object.values(COMMANDS)
      .map((c) => `  container-https ${c.usage}\n`)
      .join('') +
    '\nState dir: --state-dir, else $CONTAINER_HTTPS_STATE_DIR, else ~/.local/state/container-https.\n'
  );
}

import * as path from 'node:path';
import { DEFAULT_OPTIONS, DEMO_HOST, Daemon } from '../daemon/daemon';
import { AUTO_DOMAINS_MODES, AutoDomainsMode } from '../docker/autoDomains';
import { ADDRESS_MODES, AddressMode } from '../docker/containerResolver';
import { UserError } from '../errors';
import { PUBLIC_HOSTS, PublicHosts } from '../traefik/routerModel';
import { resolveStateDir } from '../paths';
import { ParsedArgs, bool, parseArgs, port, str } from './args';
import { httpsUrl } from '../routes/hostName';
import { CAPTURE_BOOLEANS, CAPTURE_STRINGS, captureSettings } from './captureFlags';
import { daemonLog } from './daemonLog';

export async function serveCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, {
    strings: [
      'state-dir',
      'https-port',
      'http-port',
      'bind',
      'acme-directory',
      'acme-email',
      'acme-ca-file',
      'acme-challenge',
      'acme-eab-kid',
      'acme-eab-hmac',
      'acme-dns-hook',
      'backend-timeout',
      'header-timeout',
      'idle-timeout',
      'ca-suffixes',
      'docker-host',
      'docker-address',
      'exit-when-idle',
      'workers',
      'public-hosts',
      'traefik-dynamic',
      'auto-domains',
      'lan-interface',
      ...CAPTURE_STRINGS,
    ],
    booleans: ['docker', 'labels', 'demo', 'http', 'acme-agree-tos', ...CAPTURE_BOOLEANS],
  });
  const stateDir = resolveStateDir(str(args, 'state-dir'));
  const httpsPort = port(args, 'https-port', DEFAULT_OPTIONS.httpsPort, true);
  const challenge = str(args, 'acme-challenge');
  if (challenge && challenge !== 'http-01' && challenge !== 'tls-alpn-01' && challenge !== 'dns-01') {
    throw new UserError(`--acme-challenge must be http-01, tls-alpn-01 or dns-01, not "${challenge}".`, 'EUSAGE');
  }
  const eabKid = str(args, 'acme-eab-kid');
  const eabHmac = str(args, 'acme-eab-hmac');
  if (!eabKid !== !eabHmac)
    throw new UserError('External Account Binding needs both --acme-eab-kid and --acme-eab-hmac.', 'EUSAGE');
  const dockerAddress = str(args, 'docker-address') ?? 'auto';
  if (!ADDRESS_MODES.includes(dockerAddress as AddressMode)) {
    throw new UserError(`--docker-address must be auto, ip or published, not "${dockerAddress}".`, 'EUSAGE');
  }
  const publicHosts = str(args, 'public-hosts') ?? DEFAULT_OPTIONS.publicHosts;
  if (!PUBLIC_HOSTS.includes(publicHosts as PublicHosts))
    throw new UserError(`--public-hosts must be alias, acme or off, not "${publicHosts}".`, 'EUSAGE');
  const autoDomains = str(args, 'auto-domains') ?? DEFAULT_OPTIONS.autoDomains;
  if (!AUTO_DOMAINS_MODES.includes(autoDomains as AutoDomainsMode))
    throw new UserError(`--auto-domains must be off, compose or all, not "${autoDomains}".`, 'EUSAGE');
  const traefikDynamic = str(args, 'traefik-dynamic');
  // A stop asked for before the daemon is up (its log's reader gone while it starts) waits for it.
  let stop: ((reason: string) => void) | undefined;
  let stopFirst: string | undefined;
  const log = daemonLog(process.stdout, (err) => {
    // EPIPE: nothing reads the log any more, as when a pipeline ends; a program killed by SIGPIPE
    // stops there too. Anything else (a full disk) leaves the proxy serving without its log.
    if (err.code !== 'EPIPE') {
      process.stderr.on('error', () => undefined);
      process.stderr.write(`container-https: the log (stdout) failed (${err.message}); serving on without it\n`);
      return;
    }
    const reason = 'nothing reads the log (stdout) any more';
    if (stop) stop(reason);
    else stopFirst ??= reason;
  });
  const daemon = await Daemon.start({
    stateDir,
    httpsPort,
    httpPort: bool(args, 'http', true) ? port(args, 'http-port', DEFAULT_OPTIONS.httpPort, true) : null,
    bind: str(args, 'bind') ?? DEFAULT_OPTIONS.bind,
    docker: bool(args, 'docker', DEFAULT_OPTIONS.docker)
      ? {
          labels: bool(args, 'labels', DEFAULT_OPTIONS.labels),
          host: str(args, 'docker-host'),
          address: dockerAddress as AddressMode,
        }
      : undefined,
    demo: bool(args, 'demo', DEFAULT_OPTIONS.demo),
    acme: {
      directory: str(args, 'acme-directory'),
      email: str(args, 'acme-email'),
      caFile: str(args, 'acme-ca-file'),
      challenge: challenge as 'http-01' | 'tls-alpn-01' | 'dns-01' | undefined,
      agreeTos: bool(args, 'acme-agree-tos', false),
      eab: eabKid && eabHmac ? { kid: eabKid, hmacKey: eabHmac } : undefined,
      dnsHook: str(args, 'acme-dns-hook'),
    },
    backendTimeoutMs: Number(str(args, 'backend-timeout') ?? DEFAULT_OPTIONS.backendTimeoutMs / 1000) * 1000,
    headerTimeoutMs: timeoutSeconds(args, 'header-timeout'),
    idleTimeoutMs: timeoutSeconds(args, 'idle-timeout'),
    caSuffixes: str(args, 'ca-suffixes')
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    exitWhenIdleMs: idleSeconds(str(args, 'exit-when-idle')),
    workers: workerCount(str(args, 'workers')),
    publicHosts: publicHosts as PublicHosts,
    traefikDynamic: traefikDynamic ? path.resolve(traefikDynamic) : undefined,
    autoDomains: autoDomains as AutoDomainsMode,
    lanInterface: str(args, 'lan-interface') ?? DEFAULT_OPTIONS.lanInterface,
    capture: captureSettings(args),
    log,
  });
  // One bad request must never take every route down with it: log the bug and keep serving.
  process.on('uncaughtException', (err) => log(`internal error (please report): ${err.stack ?? err}`));
  if (daemon.options.demo) log(`demo route: ${httpsUrl(DEMO_HOST, daemon.ports.publicHttpsPort())}`);
  log(`local CA: ${daemon.paths.caCert}`);
  log(
    `trust it with: ${selfCommand()} ca trust${str(args, 'state-dir') ? ` --state-dir ${stateDir}` : ''}   (or for Node tools: export NODE_EXTRA_CA_CERTS=${daemon.paths.caCert})`,
  );
  return new Promise<number>((resolve) => {
    daemon.onExit = resolve;
    let stopping = false;
    stop = (reason: string) => {
      if (stopping) return;
      stopping = true;
      log(`${reason}: stopping`);
      void daemon.close().then(() => resolve(0));
    };
    process.once('SIGINT', () => stop!('SIGINT'));
    process.once('SIGTERM', () => stop!('SIGTERM'));
    if (stopFirst) stop(stopFirst);
  });
}

function idleSeconds(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text))
    throw new UserError(`--exit-when-idle must be a number of seconds, not "${text}".`, 'EUSAGE');
  return Number(text) * 1000;
}

/** --header-timeout / --idle-timeout: seconds (fractions allowed), in ms; undefined keeps the default. */
function timeoutSeconds(args: ParsedArgs, name: string): number | undefined {
  const text = str(args, name);
  if (text === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(text) || Number(text) <= 0 || Number(text) > 86_400) {
    throw new UserError(`--${name} must be a number of seconds above 0 and up to 86400, not "${text}".`, 'EUSAGE');
  }
  return Math.round(Number(text) * 1000);
}

/** How the user invoked us, so printed commands can be pasted as they are (npm start runs dist/cli.js). */
function selfCommand(): string {
  const script = process.argv[1] ?? '';
  if (path.basename(script) === 'container-https') return 'container-https';
  const rel = path.relative(process.cwd(), script);
  return `node ${rel.startsWith('..') ? script : rel}`;
}

/** --workers N: proxy worker processes beside the daemon (0 = one process); default by core count. */
function workerCount(text: string | undefined): number | undefined {
  if (text === undefined || text === 'auto') return undefined;
  if (!/^\d+$/.test(text) || Number(text) > 64) {
    throw new UserError(
      `--workers must be auto or a number of worker processes from 0 to 64, not "${text}".`,
      'EUSAGE',
    );
  }
  return Number(text);
}

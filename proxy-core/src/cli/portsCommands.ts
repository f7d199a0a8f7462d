import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { ControlClient } from '../control/controlClient';
import { PortsCheck, Status } from '../control/protocol';
import type { DaemonStatus, PortsStatus } from '../control/apiTypes';
import { errorMessage, UserError } from '../errors';
import { resolveStateDir, statePaths } from '../paths';
import { describeHolder, findPortHolder } from '../ports/portHolder';
import { probeTls, type ProbeResult } from '../ports/portProbe';
import {
  formatPortsPlan,
  planPortsSetup,
  planPortsUndo,
  portsPaths,
  type PortsMethod,
  type PortsPlan,
} from '../ports/portsPlan';
import { nftablesServiceEnabled, readInstalled, readUnprivilegedPortStart } from '../ports/portsState';
import { CHECK_SERVERNAME } from '../trust/checkEndpoint';
import { detectPlatform, onPath, type PlatformInfo } from '../trust/platform';
import { runPlan } from '../trust/trustRunner';
import { bool, parseArgs, port, str, type ParsedArgs } from './args';
import { requireCaFile } from './caFile';
import { PORTS_USAGE } from './usage';

const out = (s: string) => process.stdout.write(s + '\n');

export async function portsCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'setup':
      return portsSetupCommand(rest);
    case 'undo':
      return portsUndoCommand(rest);
    case 'check':
      return portsCheckCommand(rest);
    default:
      throw new UserError(`Usage: container-https ${PORTS_USAGE}`, 'EUSAGE');
  }
}

/** This state dir's daemon, when it runs and is ours (root running setup for a user gets none). */
async function runningDaemon(stateDir: string): Promise<DaemonStatus | undefined> {
  return new ControlClient(stateDir).call(Status, { timeoutMs: 3000 }).catch(() => undefined);
}

/** Asks the daemon to probe again, so its URLs follow at once; undefined when it cannot be asked. */
async function tellDaemon(stateDir: string): Promise<PortsStatus | undefined> {
  return new ControlClient(stateDir).call(PortsCheck, { timeoutMs: 10_000 }).catch(() => undefined);
}

/** `/`, or another root for tests and packagers (--config-root, else $CONTAINER_HTTPS_CONFIG_ROOT). */
function configRoot(args: ParsedArgs): string {
  const root = str(args, 'config-root') ?? (process.env.CONTAINER_HTTPS_CONFIG_ROOT || '/');
  if (!path.isAbsolute(root)) throw new UserError(`The config root ${root} must be an absolute path.`, 'EUSAGE');
  return root;
}

/** The proxy's ports: --https-port / --http-port, else the running daemon's. */
async function proxyPorts(args: ParsedArgs, stateDir: string): Promise<{ https: number; http: number | null }> {
  const given = args.flags['https-port'] !== undefined;
  if (given) {
    const https = port(args, 'https-port', 0);
    const http = args.flags.http === false ? null : port(args, 'http-port', 0);
    if (http === 0) throw new UserError('--https-port goes with --http-port N (or --no-http).', 'EUSAGE');
    return { https, http };
  }
  const status = await runningDaemon(stateDir);
  if (!status)
    throw new UserError(
      `The proxy of ${stateDir} is not running, so its ports are unknown. Start it (container-https serve, or open the editor), or pass --https-port N --http-port M.`,
      'ENODAEMON',
    );
  return { https: status.https.port, http: args.flags.http === false ? null : (status.http?.port ?? null) };
}

function runSteps(plan: PortsPlan, platform: PlatformInfo): void {
  for (const f of plan.files) {
    fs.mkdirSync(path.dirname(f.staged), { recursive: true, mode: 0o700 });
    fs.writeFileSync(f.staged, f.content, { mode: 0o644 });
  }
  if (!plan.steps.length) return;
  const [outcome] = runPlan([{ id: 'ports', label: 'the standard ports', steps: plan.steps }], {
    platform,
    // Root needs no password; anyone else needs a terminal for sudo's prompt.
    interactive: platform.isRoot || !!process.stdin.isTTY,
    echo: out,
  });
  if (outcome.needsAdmin)
    throw new UserError(
      `These steps need admin rights and there is no terminal to ask for a password in. Run in a terminal:\n${outcome.needsAdmin.map((c) => `    ${c}`).join('\n')}`,
      'EADMIN',
    );
  if (!outcome.ok) throw new UserError(`${outcome.error}. Nothing after it was run.`, 'EPORTS');
}

async function portsSetupCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, {
    strings: ['state-dir', 'https-port', 'http-port', 'config-root'],
    booleans: ['dry-run', 'sysctl', 'http'],
  });
  if (args.positional.length) throw new UserError(`Usage: container-https ${PORTS_USAGE}`, 'EUSAGE');
  const stateDir = resolveStateDir(str(args, 'state-dir'));
  const platform = detectPlatform();
  const ports = await proxyPorts(args, stateDir);
  if (ports.https === 443) {
    out('The proxy already listens on 443: its URLs carry no port. Nothing to set up.');
    return 0;
  }
  const method: PortsMethod = platform.os !== 'linux' ? 'direct' : bool(args, 'sysctl', false) ? 'sysctl' : 'nftables';
  const root = configRoot(args);
  const hasNftDir = fs.existsSync(path.join(root, 'etc', 'nftables.d'));
  const paths = portsPaths(root, platform.family, hasNftDir);
  const plan = planPortsSetup({
    hasNftDir,
    platform,
    method,
    httpsPort: ports.https,
    httpPort: ports.http,
    configRoot: root,
    stageDir: path.join(statePaths(stateDir).stateDir, 'ports'),
    nftablesConf: fs.existsSync(paths.nftConf) ? fs.readFileSync(paths.nftConf, 'utf8') : undefined,
    tools: { nft: onPath('nft'), sysctl: onPath('sysctl') },
    sysctlNow: platform.os === 'linux' ? readUnprivilegedPortStart() : undefined,
    // A test's or packager's config root is not what the machine's service loads.
    serviceEnabled: root === '/' && platform.os === 'linux' ? nftablesServiceEnabled() : undefined,
  });
  for (const l of formatPortsPlan(plan, platform)) out(l);
  if (plan.blocked) throw new UserError(`Cannot set up the standard ports: ${plan.blocked.reason}.`, 'EPORTS');
  if (bool(args, 'dry-run', false)) {
    out('(dry run: nothing was changed)');
    return 0;
  }
  runSteps(plan, platform);
  if (method !== 'nftables') return verifyOwnBind(ports.http !== null);
  await tellDaemon(stateDir);
  return checkFromOutside(stateDir);
}

async function portsUndoCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { strings: ['state-dir', 'config-root'], booleans: ['dry-run'] });
  if (args.positional.length) throw new UserError(`Usage: container-https ${PORTS_USAGE}`, 'EUSAGE');
  const stateDir = resolveStateDir(str(args, 'state-dir'));
  const platform = detectPlatform();
  const root = configRoot(args);
  const installed =
    platform.os === 'linux' ? readInstalled(root, platform.family) : { includeLine: false, liveTable: false as const };
  const plan = planPortsUndo(platform, root, installed);
  for (const l of formatPortsPlan(plan, platform)) out(l);
  if (bool(args, 'dry-run', false)) {
    out('(dry run: nothing was changed)');
    return 0;
  }
  runSteps(plan, platform);
  const after = await tellDaemon(stateDir);
  if (plan.steps.length) out('Removed what ports setup had added.');
  if (after) out(`The proxy: ${after.detail}`);
  return 0;
}

function describeProbe(r: ProbeResult, where: string): string {
  if (r.kind === 'ours') return `${where}: answers with this proxy's certificate (verified against its CA)`;
  return r.detail;
}

/**
 * From outside the daemon: a TLS connection to 127.0.0.1:443 (and [::1]:443) verified against
 * this state dir's CA, then the daemon told to look again. Fails unless 127.0.0.1:443 is ours.
 */
async function checkFromOutside(stateDir: string, json = false): Promise<number> {
  const caPem = fs.readFileSync(requireCaFile(statePaths(stateDir).caCert), 'utf8');
  const probe = (host: string) => probeTls({ host, port: 443, servername: CHECK_SERVERNAME, caPem });
  const [v4, v6] = await Promise.all([probe('127.0.0.1'), probe('::1')]);
  const holder = v4.kind === 'other' && process.platform === 'linux' ? findPortHolder(443) : undefined;
  const daemon = await tellDaemon(stateDir);
  if (json) {
    process.stdout.write(JSON.stringify({ ipv4: v4, ipv6: v6, holder, daemon }, null, 2) + '\n');
  } else {
    out(describeProbe(v4, '127.0.0.1:443'));
    out(
      v6.kind === 'nothing'
        ? `[::1]:443: nothing answers (the proxy listens on IPv4 only unless serve --bind ::; browsers fall back to 127.0.0.1)`
        : describeProbe(v6, '[::1]:443'),
    );
    if (holder) out(`Port 443 is held by ${describeHolder(holder)}.`);
    out(
      daemon ? `The proxy: ${daemon.detail}` : 'The proxy of this state dir is not running (or is not yours to ask).',
    );
  }
  if (v4.kind === 'ours') return 0;
  throw new UserError(
    v4.kind === 'nothing'
      ? 'https://NAME.localhost/ without a port does not reach the proxy: run container-https ports setup.'
      : `127.0.0.1:443 is not this proxy: ${holder ? `held by ${describeHolder(holder)}` : v4.detail}. Stop that program or move it off 443, then run ports check again.`,
    'EPORTS',
  );
}

/** sysctl / macOS / Windows: the proxy binds 443 itself, so what matters is whether it may. */
async function verifyOwnBind(withHttp: boolean): Promise<number> {
  const problems: string[] = [];
  for (const p of withHttp ? [443, 80] : [443]) {
    const err = await tryBind(p);
    if (!err) out(`Checked: this user may listen on 127.0.0.1:${p}.`);
    else if (err === 'EADDRINUSE') {
      const holder = process.platform === 'linux' ? findPortHolder(p) : undefined;
      problems.push(
        `127.0.0.1:${p} is held by ${holder ? describeHolder(holder) : `another program (see: ${process.platform === 'win32' ? `netstat -ano | findstr :${p}` : `lsof -nP -iTCP:${p} -sTCP:LISTEN`})`}`,
      );
    } else problems.push(`this user may not listen on 127.0.0.1:${p} (${err})`);
  }
  if (problems.length) throw new UserError(`${problems.join('; ')}.`, 'EPORTS');
  return 0;
}

function tryBind(p: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? errorMessage(err)));
    server.listen(p, '127.0.0.1', () => server.close(() => resolve(undefined)));
  });
}

async function portsCheckCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { strings: ['state-dir'], booleans: ['json'] });
  if (args.positional.length) throw new UserError(`Usage: container-https ${PORTS_USAGE}`, 'EUSAGE');
  return checkFromOutside(resolveStateDir(str(args, 'state-dir')), bool(args, 'json', false));
}

import { DaemonStatus, ExposeRequest, RouteView } from '../control/apiTypes';
import { hostPath, parseHostPath } from '../routes/routePath';
import { ControlClient } from '../control/controlClient';
import { Certs, DeleteRoute, ProbeRoute, PutRoute, Routes, Status } from '../control/protocol';
import { UserError, isUserError } from '../errors';
import { resolveStateDir, statePaths } from '../paths';
import { bool, parseArgs, priority, str } from './args';
import { MAX_PROBE_WAIT_S, type ProbeResult } from '../probe/routeProbe';
import { nodeExtraCaCerts } from '../tlsRoots';
import { verifyFailureMessage } from '../probe/tlsVerifyError';
import { requireCaFile } from './caFile';
import { VERSION } from '../version';

function clientFor(stateDirFlag: string | undefined): ControlClient {
  return new ControlClient(resolveStateDir(stateDirFlag));
}

export async function exposeCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, {
    strings: ['state-dir', 'wait', 'priority'],
    booleans: ['acme', 'json', 'strip-prefix'],
  });
  const [where, target, ...extra] = args.positional;
  if (!where || !target || extra.length)
    throw new UserError(
      'Usage: container-https expose HOST[/PATH] TARGET [--strip-prefix] [--priority N] [--acme]   (TARGET: http://127.0.0.1:5000, 5000, or container:NAME[:PORT])',
      'EUSAGE',
    );
  const { host, path } = parseHostPath(where);
  const body: ExposeRequest = { target, tls: bool(args, 'acme', false) ? 'acme' : 'local' };
  if (path) body.path = path;
  if (bool(args, 'strip-prefix', false)) {
    if (!path)
      throw new UserError(
        `--strip-prefix needs a path to strip: expose ${host}/api ${target} --strip-prefix`,
        'EUSAGE',
      );
    body.stripPrefix = true;
  }
  const p = priority(args, 'priority');
  if (p !== undefined) body.priority = p;
  const waitS = Number(str(args, 'wait') ?? 10);
  if (!Number.isFinite(waitS) || waitS < 0 || waitS > MAX_PROBE_WAIT_S)
    throw new UserError(
      `--wait takes a number of seconds from 0 to ${MAX_PROBE_WAIT_S}, not "${str(args, 'wait')}".`,
      'EUSAGE',
    );
  const client = clientFor(str(args, 'state-dir'));
  // The status (port, CA file) does not depend on the PUT: both in one round trip's time.
  const [route, status] = await Promise.all([client.call(PutRoute, { params: { host }, body }), client.call(Status)]);
  const probe = await probeThroughDaemon(client, route, status, waitS);
  const waitMs = waitS * 1000;
  if (bool(args, 'json', false))
    process.stdout.write(JSON.stringify({ ...route, answered: probe.ok, probe }, null, 2) + '\n');
  if (probe.untrusted) {
    throw new UserError(
      verifyFailureMessage(probe.untrusted, {
        ...route,
        caFile: route.tls === 'local' ? status.ca.certFile : undefined,
      }),
      'EUNTRUSTED',
    );
  }
  if (!probe.ok) {
    throw new UserError(
      `Route ${route.url} -> ${route.target} was added, but it did not answer within ${waitMs / 1000} s (${probe.error ?? `HTTP ${probe.status}`}). The route stays and serves once the target is up.`,
      'ENOANSWER',
    );
  }
  if (!bool(args, 'json', false))
    process.stdout.write(
      `${route.url} -> ${route.target} (${route.tls === 'acme' ? "Let's Encrypt" : 'local CA'}, HTTP ${probe.status})\n`,
    );
  return 0;
}

/**
 * The daemon probes the route (POST /v1/routes/:host/probe, daemon/routeProbeApi.ts): its TLS is
 * set up already, where this process would spend 40–50 ms on its first TLS context.
 */
async function probeThroughDaemon(
  client: ControlClient,
  route: RouteView,
  status: DaemonStatus,
  waitS: number,
): Promise<ProbeResult> {
  try {
    // An ACME route is checked as this shell's tools would see it (the local CA decides a local one).
    const extraCaPem = route.tls === 'acme' ? nodeExtraCaCerts().join('\n') || undefined : undefined;
    return await client.call(ProbeRoute, {
      params: { host: route.host },
      body: { path: route.path, wait: waitS, extraCaPem },
      timeoutMs: waitS * 1000 + 15_000,
    });
  } catch (err) {
    if (!(isUserError(err) && err.code === 'ENOTFOUND')) throw err;
    throw new UserError(
      `${route.url} -> ${route.target} was added, but the daemon running (${status.version}) is older than this command (${VERSION}) and cannot check that it answers: restart container-https serve (or reload the editor window that started it) to have routes checked as they are added.`,
      'EOLDDAEMON',
    );
  }
}

export async function unexposeCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { strings: ['state-dir'] });
  const [where, ...extra] = args.positional;
  if (!where || extra.length) throw new UserError('Usage: container-https unexpose HOST[/PATH]', 'EUSAGE');
  const { host, path } = parseHostPath(where);
  await clientFor(str(args, 'state-dir')).call(DeleteRoute, { params: { host }, query: { path } });
  process.stdout.write(`removed ${hostPath(host, path)}\n`);
  return 0;
}

export async function routesCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { strings: ['state-dir'], booleans: ['json'] });
  const { routes } = await clientFor(str(args, 'state-dir')).call(Routes);
  if (bool(args, 'json', false)) {
    process.stdout.write(JSON.stringify({ routes }, null, 2) + '\n');
    return 0;
  }
  if (!routes.length) {
    process.stdout.write('No routes. Add one with: container-https expose app.localhost http://127.0.0.1:5000\n');
    return 0;
  }
  printTable(
    ['URL', 'RULE', 'PRIORITY', 'MIDDLEWARES', 'TARGET', 'TLS', 'SOURCE', 'LAN', 'STATUS'],
    routes.map((r) => [
      r.url,
      r.effectiveRule,
      String(r.effectivePriority),
      middlewareNames(r).join(',') || '-',
      r.servers && r.servers.length > 1 ? r.servers.join(' ') : r.target,
      r.tls,
      r.source === 'label' || r.source === 'auto'
        ? `${r.source}:${r.container}`
        : r.source === 'file'
          ? `file:${r.router}`
          : r.source,
      r.lan ? r.lan.url : '-',
      r.status + (r.detail ? ` (${r.detail})` : ''),
    ]),
  );
  return 0;
}

export async function certsCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { strings: ['state-dir'], booleans: ['json'] });
  const { certs } = await clientFor(str(args, 'state-dir')).call(Certs);
  if (bool(args, 'json', false)) {
    process.stdout.write(JSON.stringify({ certs }, null, 2) + '\n');
    return 0;
  }
  if (!certs.length) {
    process.stdout.write('No certificates yet.\n');
    return 0;
  }
  const day = 24 * 3600 * 1000;
  printTable(
    ['HOST', 'ISSUER', 'EXPIRES', 'DAYS LEFT', 'RENEWS', 'LAST ERROR'],
    certs.map((c) => [
      c.host,
      c.issuerName,
      c.notAfter.slice(0, 10),
      String(Math.floor((Date.parse(c.notAfter) - Date.now()) / day)),
      c.renewAt?.slice(0, 10) ?? '-',
      c.lastError ?? '',
    ]),
  );
  return 0;
}

export async function caPathCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { strings: ['state-dir'] });
  const file = requireCaFile(statePaths(resolveStateDir(str(args, 'state-dir'))).caCert);
  process.stdout.write(file + '\n');
  return 0;
}

/** A user route's --strip-prefix shows as what it is, a stripPrefix middleware. */
function middlewareNames(r: RouteView): string[] {
  if (r.middlewares) return r.middlewares.map((m) => m.name);
  return r.stripPrefix && r.path ? [`stripPrefix(${r.path})`] : [];
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const row of [header, ...rows])
    process.stdout.write(
      row
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd() + '\n',
    );
}

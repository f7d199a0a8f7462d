import * as fs from 'node:fs';
import { DaemonStatus, ExposeRequest, RouteView } from '../control/apiTypes';
import { hostPath, parseHostPath } from '../routes/routePath';
import { ControlClient } from '../control/controlClient';
import { Certs, DeleteRoute, PutRoute, Routes, Status } from '../control/protocol';
import { UserError } from '../errors';
import { resolveStateDir, statePaths } from '../paths';
import { bool, parseArgs, priority, str } from './args';
import { trustedRoots } from '../tlsRoots';
import { waitForRoute } from './probe';
import { verifyFailureMessage } from './tlsVerifyError';
import { requireCaFile } from './caFile';
import { loopbackFor } from '../bindAddress';

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
  const client = clientFor(str(args, 'state-dir'));
  // The status (port, CA file) does not depend on the PUT: both in one round trip's time.
  const [route, status] = await Promise.all([client.call(PutRoute, { params: { host }, body }), client.call(Status)]);
  // A local route is verified against our CA alone; an ACME one as a browser would see it: the
  // public roots (plus NODE_EXTRA_CA_CERTS) and the --acme-ca-file root, if any.
  const ca = route.tls === 'acme' ? trustedRoots(extraRoots(status)) : fs.readFileSync(status.ca.certFile, 'utf8');
  const waitMs = Number(str(args, 'wait') ?? 10) * 1000;
  const probe = await waitForRoute({
    host: route.host,
    port: status.https.port,
    connectTo: loopbackFor(status.https.bind),
    ca,
    waitMs,
    path: route.path,
  });
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

/** The daemon's --acme-ca-file (Pebble's root in tests, a private ACME CA's in companies). */
function extraRoots(status: DaemonStatus): string[] {
  const file = status.acme.trustFile;
  return file && fs.existsSync(file) ? [fs.readFileSync(file, 'utf8')] : [];
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

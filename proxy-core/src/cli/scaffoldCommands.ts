import * as fs from 'node:fs';
import * as path from 'node:path';
import { ControlClient } from '../control/controlClient';
import { Containers, Routes, Status } from '../control/protocol';
import { UserError } from '../errors';
import { writeFileAtomic } from '../fsUtil';
import { resolveStateDir } from '../paths';
import {
  EXPORT_TARGETS,
  ExportTarget,
  INGRESS_KINDS,
  IngressKind,
  LabelOptions,
  TraefikTomlOptions,
  Unmapped,
  addLabelsToCompose,
  checkExportOptions,
  exportRoutes,
  generateComposeLabels,
  generateDashboardConfig,
  generateStack,
  generateTraefikToml,
  migrateComposeLabels,
  migrateTraefikV1,
} from '../scaffold';
import { unifiedDiff } from '../scaffold/lineDiff';
import { ParsedArgs, bool, parseArgs, port, priority, str } from './args';
import { SCAFFOLD_USAGE, MIGRATE_USAGE, EXPORT_USAGE } from './usage';

/**
 * `scaffold` and `migrate` (docs/scaffolding.md): files in, text out. Nothing is written unless asked
 * (--out, --write, --dir), an existing file is never replaced without --force (or --write for
 * the compose file being edited), and a failure leaves every input file as it was.
 */

/** Repeatable flags (`--host a --host b`, or `--host a,b`): taken out before the strict parser sees them. */
function takeRepeated(argv: string[], name: string, allowEmpty = true): { values: string[]; rest: string[] } {
  const values: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === `--${name}`) {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UserError(`--${name} needs a value.`, 'EUSAGE');
      values.push(v);
    } else if (a.startsWith(`--${name}=`)) values.push(a.slice(name.length + 3));
    else rest.push(a);
  }
  const items = values.flatMap((v) => v.split(',')).map((v) => v.trim());
  if (!allowEmpty && items.includes(''))
    throw new UserError(
      `--${name} needs a name (an empty one was given: ${JSON.stringify(values.join(' '))}).`,
      'EUSAGE',
    );
  return { values: items.filter(Boolean), rest };
}

function readInput(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(
      code === 'ENOENT' ? `${file} does not exist.` : `Cannot read ${file}: ${(err as Error).message}.`,
      'ENOENT',
    );
  }
}

/** Refuses to replace a file unless --force; reports what it wrote on stderr (stdout stays data). */
function writeNew(file: string, text: string, force: boolean): void {
  if (fs.existsSync(file) && !force)
    throw new UserError(`${file} already exists; nothing was written. Add --force to replace it.`, 'EEXIST');
  // Project directories, not state: readable like the rest of the project (fsUtil would make them 0700).
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o755 });
  writeFileAtomic(file, text, 0o644);
  process.stderr.write(`wrote ${file}\n`);
}

function choice<T extends string>(args: ParsedArgs, name: string, allowed: readonly T[]): T | undefined {
  const v = str(args, name);
  if (v !== undefined && !allowed.includes(v as T))
    throw new UserError(`--${name} must be one of ${allowed.join(', ')}, not "${v}".`, 'EUSAGE');
  return v as T | undefined;
}

const TRAEFIK_STRINGS = ['email', 'network', 'challenge', 'dashboard', 'dashboard-host', 'log-level', 'storage', 'out'];

function traefikOptions(args: ParsedArgs): TraefikTomlOptions {
  const email = str(args, 'email');
  if (!email) throw new UserError("Give the email for Let's Encrypt: --email you@example.com", 'EUSAGE');
  const logLevel = str(args, 'log-level')?.toUpperCase();
  return {
    email,
    network: str(args, 'network'),
    challenge: choice(args, 'challenge', ['http', 'tls'] as const),
    staging: bool(args, 'staging', false),
    dashboard: choice(args, 'dashboard', ['off', 'loopback', 'basic-auth'] as const),
    logLevel: logLevel as TraefikTomlOptions['logLevel'],
    storage: str(args, 'storage'),
  };
}

async function scaffoldTraefik(argv: string[]): Promise<number> {
  const users = takeRepeated(argv, 'dashboard-user');
  const args = parseArgs(users.rest, { strings: TRAEFIK_STRINGS, booleans: ['staging', 'force'] });
  if (args.positional.length)
    throw new UserError(
      `Unexpected argument "${args.positional[0]}". Usage: container-https ${SCAFFOLD_USAGE.split('\n')[0]}`,
      'EUSAGE',
    );
  const opts = traefikOptions(args);
  const toml = generateTraefikToml(opts);
  let dashboard: string | undefined;
  if (opts.dashboard === 'basic-auth') {
    const host = str(args, 'dashboard-host');
    if (!host)
      throw new UserError(
        '--dashboard basic-auth needs the host name the dashboard answers on: --dashboard-host traefik.example.com',
        'EUSAGE',
      );
    dashboard = generateDashboardConfig({ host, users: users.values });
  }
  const out = str(args, 'out');
  if (!out) {
    process.stdout.write(toml);
    if (dashboard)
      process.stderr.write(
        'The dashboard router goes in dynamic/dashboard.toml beside it: rerun with --out traefik.toml to write both.\n',
      );
    return 0;
  }
  const force = bool(args, 'force', false);
  const dynamicFile = path.join(path.dirname(out), 'dynamic', 'dashboard.toml');
  // Check both before writing either, so a refusal leaves nothing half done.
  if (!force)
    for (const f of dashboard ? [out, dynamicFile] : [out])
      if (fs.existsSync(f))
        throw new UserError(`${f} already exists; nothing was written. Add --force to replace it.`, 'EEXIST');
  writeNew(out, toml, force);
  if (dashboard) {
    writeNew(dynamicFile, dashboard, force);
    process.stderr.write(`Mount ${path.dirname(dynamicFile)} at /etc/traefik/dynamic in the Traefik container.\n`);
  }
  return 0;
}

function labelOptionsFrom(argv: string[], strings: string[], booleans: string[]) {
  const hosts = takeRepeated(argv, 'host');
  const args = parseArgs(hosts.rest, {
    strings: ['service', 'port', 'network', 'entrypoint', 'cert-resolver', 'image', ...strings],
    booleans,
  });
  if (args.positional.length)
    throw new UserError(`Unexpected argument "${args.positional[0]}". See: container-https help`, 'EUSAGE');
  const service = str(args, 'service');
  if (!service) throw new UserError('Give the compose service: --service app', 'EUSAGE');
  if (!hosts.values.length)
    throw new UserError(
      'Give the host name(s) it answers on: --host app.example.com [--host www.example.com]',
      'EUSAGE',
    );
  const p = str(args, 'port') === undefined ? undefined : port(args, 'port', 0);
  return {
    args,
    labels: {
      service,
      hosts: hosts.values,
      port: p,
      network: str(args, 'network'),
      entrypoint: str(args, 'entrypoint'),
      certResolver: str(args, 'cert-resolver'),
    },
  };
}

async function scaffoldLabels(argv: string[]): Promise<number> {
  const middlewares = takeRepeated(argv, 'middleware', false);
  const parsed = labelOptionsFrom(
    middlewares.rest,
    ['compose', 'out', 'path', 'priority'],
    ['write', 'print', 'force', 'strip-prefix'],
  );
  const { args } = parsed;
  const labels: LabelOptions = {
    ...parsed.labels,
    path: str(args, 'path'),
    stripPrefix: bool(args, 'strip-prefix', false),
    priority: priority(args, 'priority'),
    middlewares: middlewares.values,
  };
  const compose = str(args, 'compose');
  if (!compose) {
    const lines = generateComposeLabels(labels);
    process.stdout.write('labels:\n' + lines.map((l) => `  - "${l.replace(/["\\]/g, '\\$&')}"\n`).join(''));
    return 0;
  }
  const before = readInput(compose);
  const { text, changed, notes } = addLabelsToCompose(before, labels, compose);
  for (const n of notes) process.stderr.write(`${n}\n`);
  if (!changed) {
    process.stderr.write(`${compose}: service "${labels.service}" already has these labels; nothing to change.\n`);
    return 0;
  }
  const out = str(args, 'out');
  if (bool(args, 'write', false)) {
    if (out)
      throw new UserError(
        'Use either --write (edit the compose file) or --out FILE (write a copy), not both.',
        'EUSAGE',
      );
    writeFileAtomic(compose, text, fs.statSync(compose).mode & 0o777);
    process.stderr.write(`updated ${compose} (service ${labels.service})\n`);
  } else if (out) {
    if (path.resolve(out) === path.resolve(compose))
      throw new UserError('--out names the compose file itself; use --write to edit it in place.', 'EUSAGE');
    writeNew(out, text, bool(args, 'force', false));
  } else if (bool(args, 'print', false)) {
    process.stdout.write(text);
  } else {
    process.stdout.write(unifiedDiff(before, text, compose));
    process.stderr.write(`Not written. Add --write to save this change to ${compose}.\n`);
  }
  return 0;
}

async function scaffoldStack(argv: string[]): Promise<number> {
  const users = takeRepeated(argv, 'dashboard-user');
  const { args, labels } = labelOptionsFrom(users.rest, [...TRAEFIK_STRINGS, 'dir'], ['staging', 'force']);
  const stack = generateStack({
    ...traefikOptions(args),
    ...labels,
    network: str(args, 'network'),
    image: str(args, 'image'),
    dashboardHost: str(args, 'dashboard-host'),
    dashboardUsers: users.values,
  });
  const files: [string, string][] = [
    ['docker-compose.yml', stack.compose],
    ['traefik/traefik.toml', stack.traefikToml],
    ...(stack.dashboardToml ? [['traefik/dynamic/dashboard.toml', stack.dashboardToml] as [string, string]] : []),
  ];
  const dir = str(args, 'dir');
  if (!dir) {
    process.stdout.write(files.map(([name, text]) => `==> ${name} <==\n${text}`).join('\n'));
    process.stderr.write('Not written. Add --dir DIR to write these files.\n');
    return 0;
  }
  const force = bool(args, 'force', false);
  if (!force)
    for (const [name] of files)
      if (fs.existsSync(path.join(dir, name)))
        throw new UserError(
          `${path.join(dir, name)} already exists; nothing was written. Add --force to replace it.`,
          'EEXIST',
        );
  for (const [name, text] of files) writeNew(path.join(dir, name), text, force);
  // Traefik writes acme.json here itself (mode 600); the directory keeps it private.
  fs.mkdirSync(path.join(dir, 'traefik', 'acme'), { recursive: true, mode: 0o700 });
  process.stderr.write(`Next: cd ${dir} && docker compose up -d\n`);
  return 0;
}

/**
 * `scaffold export`: the routes the running daemon serves, as production configuration. Every
 * flag is checked before the daemon is asked, so a typo costs no round trip.
 */
async function scaffoldExport(argv: string[]): Promise<number> {
  const args = parseArgs(argv, {
    strings: ['to', 'out', 'domain-map', 'ingress', 'email', 'network', 'state-dir'],
    booleans: ['staging', 'force'],
  });
  if (args.positional.length)
    throw new UserError(
      `Unexpected argument "${args.positional[0]}". Usage: container-https ${EXPORT_USAGE}`,
      'EUSAGE',
    );
  const to = choice(args, 'to', EXPORT_TARGETS as readonly ExportTarget[]);
  if (!to) throw new UserError(`Give the target: --to ${EXPORT_TARGETS.join('|')}`, 'EUSAGE');
  const ingress = choice(args, 'ingress', INGRESS_KINDS as readonly IngressKind[]);
  const out = str(args, 'out');
  const force = bool(args, 'force', false);
  if (force && !out) throw new UserError('--force only applies with --out DIR.', 'EUSAGE');
  const options = {
    to,
    ingress,
    domainMap: str(args, 'domain-map'),
    email: str(args, 'email'),
    network: str(args, 'network'),
    staging: bool(args, 'staging', false),
    out,
  };
  checkExportOptions(options);

  const client = new ControlClient(resolveStateDir(str(args, 'state-dir')));
  const [routes, containers, status] = await Promise.all([
    client.call(Routes),
    client.call(Containers),
    client.call(Status),
  ]);
  const result = exportRoutes(
    { routes: routes.routes, containers: containers.containers, localSuffixes: status.ca.permittedSuffixes },
    options,
  );
  if (!containers.connected && result.files.length)
    result.notes.unshift(
      `Docker is not reachable (${containers.error ?? 'discovery is off'}): images and ports of the containers are unknown.`,
    );
  if (!out) {
    process.stdout.write(result.files.map((f) => `==> ${f.path} <==\n${f.text}`).join('\n'));
  } else {
    const existing = result.files.filter((f) => fs.existsSync(f.path)).map((f) => f.path);
    if (existing.length && !force)
      throw new UserError(
        `${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''}; nothing was written. Add --force to replace ${existing.length === 1 ? 'it' : 'them'}.`,
        'EEXIST',
      );
    for (const f of result.files) writeNew(f.path, f.text, force);
    // Traefik writes acme.json here itself (mode 600); the directory keeps it private.
    if (to === 'compose') fs.mkdirSync(path.join(out, 'traefik', 'acme'), { recursive: true, mode: 0o700 });
  }
  for (const n of result.notes) process.stderr.write(`${n}\n`);
  if (!out && result.files.length) process.stderr.write('Not written. Add --out DIR to write these files.\n');
  return 0;
}

export async function scaffoldCommand(argv: string[]): Promise<number> {
  const [kind, ...rest] = argv;
  if (kind === 'traefik') return scaffoldTraefik(rest);
  if (kind === 'labels') return scaffoldLabels(rest);
  if (kind === 'stack') return scaffoldStack(rest);
  if (kind === 'export') return scaffoldExport(rest);
  throw new UserError(`Usage: container-https ${SCAFFOLD_USAGE}`.replace(/\n {2}container-https /g, ' | '), 'EUSAGE');
}

function looksLikeCompose(file: string, text: string): boolean {
  if (/\.ya?ml$/i.test(file)) return true;
  if (/\.toml$/i.test(file)) return false;
  return /^services\s*:/m.test(text);
}

function printUnmapped(unmapped: Unmapped[]): void {
  if (!unmapped.length) return;
  process.stderr.write(
    `Not migrated as-is (${unmapped.length}):\n` + unmapped.map((u) => `  ${u.key}: ${u.reason}\n`).join(''),
  );
}

export async function migrateCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { strings: ['out'], booleans: ['force', 'cert-resolver'] });
  const [file, ...extra] = args.positional;
  if (!file || extra.length) throw new UserError(`Usage: container-https ${MIGRATE_USAGE}`, 'EUSAGE');
  const input = readInput(file);
  const out = str(args, 'out');
  if (out && path.resolve(out) === path.resolve(file))
    throw new UserError(
      '--out names the input file; write the result to another file and keep the original to compare.',
      'EUSAGE',
    );
  const result = looksLikeCompose(file, input)
    ? (({ text, unmapped }) => ({ text, unmapped }))(
        migrateComposeLabels(input, { certResolver: bool(args, 'cert-resolver', true) ? undefined : false }, file),
      )
    : (({ toml, unmapped }) => ({ text: toml, unmapped }))(migrateTraefikV1(input, file));
  if (out) writeNew(out, result.text, bool(args, 'force', false));
  else process.stdout.write(result.text);
  printUnmapped(result.unmapped);
  return 0;
}

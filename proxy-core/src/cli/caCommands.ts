import * as fs from 'node:fs';
import { LocalCa, readPermittedIpRanges } from '../certs/localCa';
import { ControlClient } from '../control/controlClient';
import { PostCaShare, Status } from '../control/protocol';
import * as qrcode from 'qrcode';
import { UserError } from '../errors';
import { resolveStateDir, statePaths } from '../paths';
import { namesOf, nodeExtraCaCertsLine, verifyAndRecord } from '../trust/caStatus';
import { openCheckEndpoint } from '../trust/checkEndpoint';
import { findNssDbs, nssDbAt } from '../trust/nssDbs';
import { detectPlatform, windowsPathOf, type PlatformInfo } from '../trust/platform';
import { checkTarget, type StoreCheck } from '../trust/trustCheck';
import { formatStep, javaKeystoreOf, planTrust, planUntrust, type StoreKind, type TrustPlan } from '../trust/trustPlan';
import { readTrustRecord, writeTrustRecord } from '../trust/trustRecord';
import { runPlan } from '../trust/trustRunner';
import { bool, parseArgs, str, type ParsedArgs } from './args';
import { caPathCommand } from './routeCommands';
import { CA_USAGE } from './usage';
import { requireCaFile } from './caFile';

const out = (s: string) => process.stdout.write(s + '\n');

/** The trust check's endpoint: this state dir's proxy when it answers, else a temporary server. */
async function checkEndpointFor(stateDir: string, ca: LocalCa): ReturnType<typeof openCheckEndpoint> {
  const running = await new ControlClient(stateDir).call(Status, { timeoutMs: 2000 }).catch(() => undefined);
  return openCheckEndpoint(running, ca);
}

export async function caCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'path':
      return caPathCommand(rest);
    case 'env':
      return caEnvCommand(rest);
    case 'trust':
      return caTrustCommand(rest);
    case 'untrust':
      return caUntrustCommand(rest);
    case 'check':
      return caCheckCommand(rest);
    case 'share':
      return caShareCommand(rest);
    default:
      throw new UserError(`Usage: container-https ${CA_USAGE}`, 'EUSAGE');
  }
}

async function caEnvCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { strings: ['state-dir'] });
  const file = requireCaFile(statePaths(resolveStateDir(str(args, 'state-dir'))).caCert);
  out(nodeExtraCaCertsLine(file));
  return 0;
}

/** Loads the CA, creating it the way the daemon would if `ca trust` comes first. */
async function loadCa(args: ParsedArgs): Promise<{ ca: LocalCa; stateDir: string }> {
  const stateDir = resolveStateDir(str(args, 'state-dir'));
  const { ca, created } = await LocalCa.loadOrCreate(statePaths(stateDir).caDir);
  // stderr, so `--dry-run --json` stays parseable on a first run.
  if (created) process.stderr.write(`Created the local CA ${ca.files.certFile}\n`);
  return { ca, stateDir };
}

/**
 * --system / --nss / --java pick stores; with none picked, every store; --no-X leaves one out.
 * --nss-db only replaces NSS discovery (it does not turn the other stores off: --no-system does).
 */
export function selectStores(args: ParsedArgs): Record<StoreKind, boolean> {
  const kinds: StoreKind[] = ['system', 'nss', 'java'];
  const picked = kinds.filter((k) => args.flags[k] === true);
  const select = {} as Record<StoreKind, boolean>;
  for (const k of kinds) select[k] = args.flags[k] === false ? false : picked.length ? picked.includes(k) : true;
  return select;
}

function printChecks(stores: StoreCheck[]): void {
  const word = { trusted: 'trusted', 'not-trusted': 'NOT trusted', unknown: 'could not check' } as const;
  out('Verification:');
  for (const s of stores) out(`  ${word[s.result].padEnd(15)} ${s.label}\n  ${''.padEnd(15)} ${s.detail}`);
}

/** `ca trust --dry-run --json`: the plan for a client (the editor) to show before running it in a terminal. */
function planJson(plan: TrustPlan, p: PlatformInfo, caFile: string, fingerprint256: string) {
  return {
    caFile,
    fingerprint256,
    targets: plan.targets.map((t) => ({
      id: t.id,
      kind: t.target.kind,
      label: t.label,
      commands: t.steps.map((s) => ({ command: formatStep(s, p), argv: s.argv, admin: s.admin })),
    })),
    skipped: plan.skipped,
    nodeExtraCaCerts: nodeExtraCaCertsLine(caFile),
  };
}

function printPlan(plan: TrustPlan, p: PlatformInfo): void {
  const verb = plan.action === 'trust' ? 'Add the local CA to' : 'Remove the local CA from';
  if (!plan.targets.length) out(plan.action === 'trust' ? 'No store to add the local CA to.' : 'Nothing to remove.');
  for (const t of plan.targets) {
    out(`${verb} ${t.label}:`);
    for (const s of t.steps)
      out(`    ${formatStep(s, p)}${s.admin && p.os !== 'win32' ? '   # needs admin rights' : ''}`);
  }
  for (const s of plan.skipped) out(`Skipped ${s.label}: ${s.reason}${s.fix ? `\n    fix: ${s.fix}` : ''}`);
}

async function caTrustCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, {
    strings: ['state-dir', 'nss-db'],
    booleans: ['dry-run', 'system', 'nss', 'java', 'json'],
  });
  if (bool(args, 'json', false) && !bool(args, 'dry-run', false))
    throw new UserError(
      '--json goes with --dry-run (it prints the plan); the result of a real run is in GET /v1/ca and ca check --json.',
      'EUSAGE',
    );
  if (args.positional.length) throw new UserError(`Usage: container-https ${CA_USAGE}`, 'EUSAGE');
  const { ca, stateDir } = await loadCa(args);
  const platform = detectPlatform();
  const names = namesOf(ca);
  const caFile = ca.files.certFile;
  const nssDbArg = str(args, 'nss-db');
  if (nssDbArg && !fs.existsSync(nssDbArg.replace(/^(sql|dbm):/, '')))
    throw new UserError(
      `--nss-db ${nssDbArg} does not exist. Create an empty database with: certutil -N --empty-password -d sql:${nssDbArg}`,
      'ENOENT',
    );
  const javaHome = platform.javaHome;
  const java = javaHome ? javaKeystoreOf(javaHome, fs.existsSync) : undefined;
  const plan = planTrust({
    platform,
    caFile,
    names,
    select: selectStores(args),
    nssDbs: nssDbArg ? [nssDbAt(nssDbArg)] : findNssDbs(platform),
    nssExplicit: !!nssDbArg,
    wslWindowsCaFile: platform.wsl ? windowsPathOf(caFile) : undefined,
    java: java && { ...java, writable: isWritable(java.keystore) },
  });
  if (bool(args, 'json', false)) {
    process.stdout.write(JSON.stringify(planJson(plan, platform, caFile, ca.fingerprint256()), null, 2) + '\n');
    return 0;
  }
  out(
    `Local CA ${caFile}\n  SHA-256 ${ca.fingerprint256()}\n  only valid for: ${[...ca.permittedSuffixes, ...readPermittedIpRanges(ca.certPem)].join(', ')}`,
  );
  printPlan(plan, platform);
  if (bool(args, 'dry-run', false)) {
    out('(dry run: nothing was changed)');
    out(`For your own Node scripts: ${nodeExtraCaCertsLine(caFile)}`);
    return 0;
  }

  const { endpoint, close } = await checkEndpointFor(stateDir, ca);
  try {
    const ctx = { caPem: ca.certPem, caFile, names, platform, endpoint };
    // Already there (e.g. a second run): record it, but run nothing and ask for no password.
    const todo = [];
    const done = new Set<string>();
    for (const t of plan.targets) {
      const before = await checkTarget(t.target, ctx);
      if (before.result === 'trusted' && t.target.store !== 'linux') {
        out(`Already trusted: ${t.label}`);
        done.add(t.id);
      } else if (before.result === 'trusted' && t.target.store === 'linux' && fs.existsSync(t.target.file)) {
        out(`Already trusted: ${t.label} (${t.target.file})`);
        done.add(t.id);
      } else todo.push(t);
    }
    const outcomes = runPlan(todo, { platform, interactive: !!process.stdin.isTTY, echo: out });
    for (const o of outcomes) if (o.ok) done.add(o.id);

    const { record } = readTrustRecord(statePaths(stateDir).caDir, ca.fingerprint256(), names);
    const at = new Date().toISOString();
    for (const t of plan.targets) {
      if (!done.has(t.id)) continue;
      record.added = record.added.filter((a) => a.id !== t.id);
      record.added.push({ id: t.id, label: t.label, at, target: t.target });
    }
    writeTrustRecord(statePaths(stateDir).caDir, record);

    const { stores } = await verifyAndRecord(ca, endpoint, platform);
    printChecks(stores);
    out(`For your own Node scripts: ${nodeExtraCaCertsLine(caFile)}`);

    const failed = outcomes.filter((o) => !o.ok);
    for (const f of failed) {
      if (f.needsAdmin)
        out(
          `Not done: ${f.label} needs admin rights. Run in a terminal:\n${f.needsAdmin.map((c) => `    ${c}`).join('\n')}`,
        );
      else out(`Failed: ${f.label}: ${f.error}`);
    }
    const notTrusted = stores.filter((s) => s.result === 'not-trusted' && plan.targets.some((t) => t.id === s.id));
    if (failed.length || notTrusted.length) {
      throw new UserError(
        `The local CA is not trusted everywhere: ${[...failed.map((f) => f.label), ...notTrusted.map((s) => s.label)].filter((v, i, a) => a.indexOf(v) === i).join('; ')} (details above).`,
        'ETRUST',
      );
    }
    if (!plan.targets.length)
      throw new UserError('No store was changed: see the skipped stores above for how to fix that.', 'ETRUST');
    return 0;
  } finally {
    await close();
  }
}

async function caUntrustCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { strings: ['state-dir'], booleans: ['dry-run'] });
  if (args.positional.length) throw new UserError(`Usage: container-https ${CA_USAGE}`, 'EUSAGE');
  const stateDir = resolveStateDir(str(args, 'state-dir'));
  const caDir = statePaths(stateDir).caDir;
  if (!fs.existsSync(statePaths(stateDir).caCert))
    throw new UserError(`No local CA at ${statePaths(stateDir).caCert}, so nothing to untrust.`, 'ENOCA');
  const { ca } = await LocalCa.loadOrCreate(caDir);
  const platform = detectPlatform();
  const names = namesOf(ca);
  const { record, problem } = readTrustRecord(caDir, ca.fingerprint256(), names);
  if (problem) out(`Note: ${problem}`);
  const plan = planUntrust(
    record.added.map((a) => a.target),
    { caFile: ca.files.certFile, names },
  );
  printPlan(plan, platform);
  if (bool(args, 'dry-run', false)) {
    out('(dry run: nothing was changed)');
    return 0;
  }
  const { endpoint, close } = await checkEndpointFor(stateDir, ca);
  let outcomes;
  try {
    // Already gone (removed by hand, or a profile deleted): nothing to run, just forget it.
    const removed = new Set<string>();
    const todo = [];
    for (const t of plan.targets) {
      const gone =
        t.target.store === 'linux'
          ? !fs.existsSync(t.target.file)
          : t.target.store === 'nss' && !fs.existsSync(t.target.dir)
            ? true
            : (await checkTarget(t.target, { caPem: ca.certPem, caFile: ca.files.certFile, names, platform, endpoint }))
                .result === 'not-trusted';
      if (gone) {
        out(`Already removed: ${t.label}`);
        removed.add(t.id);
      } else todo.push(t);
    }
    outcomes = runPlan(todo, { platform, interactive: !!process.stdin.isTTY, echo: out });
    for (const o of outcomes) if (o.ok) removed.add(o.id);
    record.added = record.added.filter((a) => !removed.has(a.id));
    writeTrustRecord(caDir, record);
    const { stores } = await verifyAndRecord(ca, endpoint, platform);
    printChecks(stores);
  } finally {
    await close();
  }
  const failed = outcomes.filter((o) => !o.ok);
  for (const f of failed) {
    if (f.needsAdmin)
      out(
        `Not done: ${f.label} needs admin rights. Run in a terminal:\n${f.needsAdmin.map((c) => `    ${c}`).join('\n')}`,
      );
    else out(`Failed: ${f.label}: ${f.error}`);
  }
  if (failed.length)
    throw new UserError(
      `Could not remove the local CA from: ${failed.map((f) => f.label).join('; ')} (details above). Run ca untrust again once fixed.`,
      'ETRUST',
    );
  out(
    plan.targets.length
      ? 'Removed the local CA from every store ca trust had added it to.'
      : 'ca trust had added the CA nowhere (ca/trust.json lists nothing).',
  );
  return 0;
}

async function caCheckCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { strings: ['state-dir'], booleans: ['json'] });
  const stateDir = resolveStateDir(str(args, 'state-dir'));
  requireCaFile(statePaths(stateDir).caCert);
  const { ca } = await LocalCa.loadOrCreate(statePaths(stateDir).caDir);
  const { endpoint, close } = await checkEndpointFor(stateDir, ca);
  try {
    const { stores } = await verifyAndRecord(ca, endpoint);
    if (bool(args, 'json', false)) process.stdout.write(JSON.stringify({ stores }, null, 2) + '\n');
    else printChecks(stores);
    if (!stores.some((s) => s.result === 'trusted'))
      throw new UserError(
        'The local CA is not trusted in any store checked (details above). Trust it with: container-https ca trust',
        'ETRUST',
      );
    return 0;
  } finally {
    await close();
  }
}

function isWritable(file: string): boolean {
  try {
    fs.accessSync(fs.realpathSync(file), fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * `ca share`: the daemon offers the CA at a one-time LAN URL (lan/caShare.ts); the QR code is
 * for the phone's camera, the URL below it for typing, the fingerprint for comparing.
 */
async function caShareCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { strings: ['state-dir', 'minutes', 'downloads'], booleans: ['json'] });
  const number = (name: string) => {
    const v = str(args, name);
    if (v === undefined) return undefined;
    if (!/^\d+(\.\d+)?$/.test(v)) throw new UserError(`--${name} must be a number, not "${v}".`, 'EUSAGE');
    return Number(v);
  };
  const client = new ControlClient(resolveStateDir(str(args, 'state-dir')));
  const share = await client.call(PostCaShare, {
    body: { minutes: number('minutes'), downloads: number('downloads') },
  });
  if (bool(args, 'json', false)) {
    out(JSON.stringify(share, null, 2));
    return 0;
  }
  // The QR code only where a terminal draws it; the URL below is the fallback everywhere.
  if (process.stdout.isTTY) out(await qrcode.toString(share.url, { type: 'terminal', small: true }));
  out(`Open on the phone (same network): ${share.url}`);
  out(`SHA-256 fingerprint to compare: ${share.fingerprint256}`);
  out(
    `Works until ${new Date(share.expiresAt).toLocaleTimeString()} or ${share.downloadsLeft} download(s); then the URL is a 404.`,
  );
  return 0;
}

import { execFile } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as tls from 'node:tls';
import type { PlatformInfo } from './platform';
import { targetId, targetLabel, type CaNames, type StoreKind, type TrustTarget } from './trustPlan';

/** trusted / not trusted / could not check — per store, as the editor's status bar shows it. */
export type TrustResult = 'trusted' | 'not-trusted' | 'unknown';

export interface StoreCheck {
  id: string;
  kind: StoreKind;
  label: string;
  result: TrustResult;
  /** What was checked and what came back, e.g. the TLS error code. */
  detail: string;
}

/** A TLS endpoint serving a leaf from our CA for `servername`: the running proxy or a temporary one. */
export interface CheckEndpoint {
  connectTo: string;
  port: number;
  servername: string;
  source: string;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}
/** Runs a checking tool. Asynchronous so a check inside the daemon never stalls the proxy. */
export type RunFn = (argv: string[]) => Promise<RunResult>;

export interface CheckContext {
  caPem: string;
  caFile: string;
  names: CaNames;
  platform: PlatformInfo;
  endpoint?: CheckEndpoint;
  run?: RunFn;
}

const defaultRun: RunFn = (argv) =>
  new Promise((resolve) => {
    execFile(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => {
      const code = (err as { code?: unknown } | null)?.code;
      // A number is the tool's exit code; a string (ENOENT, ...) means it could not run at all.
      if (err && typeof code !== 'number') resolve({ code: -1, stdout: stdout ?? '', stderr: err.message });
      else resolve({ code: err ? (code as number) : 0, stdout: stdout ?? '', stderr: stderr ?? '' });
    });
  });

/** Where each Linux family keeps the bundle that OpenSSL, curl, Python and Go read. */
export const SYSTEM_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt', // Debian, Ubuntu, Arch (compat), Alpine
  '/etc/pki/tls/certs/ca-bundle.crt', // Fedora, RHEL
  '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem', // Fedora, RHEL (the source of the above)
  '/etc/ssl/ca-bundle.pem', // openSUSE
];

export function systemBundleFile(exists: (f: string) => boolean = fs.existsSync): string | undefined {
  return SYSTEM_BUNDLES.find(exists);
}

// Verification failures mean "not trusted"; anything else (refused, timeout) means we could not tell.
const CERT_ERRORS =
  /CERT|ISSUER|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET|HOSTNAME|ALTNAME|NAME_CONSTRAINT|PERMITTED|EXCLUDED|CHAIN/i;

/** One TLS handshake against the endpoint, verified against the given roots. */
export function tlsHandshake(
  endpoint: CheckEndpoint,
  ca: string | string[],
  timeoutMs = 5000,
): Promise<{ ok: boolean; code?: string; message?: string }> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: endpoint.connectTo,
      port: endpoint.port,
      servername: endpoint.servername,
      ca,
      ALPNProtocols: ['http/1.1'],
      timeout: timeoutMs,
    });
    const done = (r: { ok: boolean; code?: string; message?: string }) => {
      socket.destroy();
      resolve(r);
    };
    socket.once('secureConnect', () => done({ ok: true }));
    socket.once('timeout', () => done({ ok: false, code: 'ETIMEDOUT', message: 'timed out' }));
    socket.once('error', (err: NodeJS.ErrnoException) => done({ ok: false, code: err.code, message: err.message }));
  });
}

/** The OS store as Node sees it, where Node can read it (Node ≥ 22.15 / 23.5); else undefined. */
function osStoreRoots(): string[] | undefined {
  const get = (tls as unknown as { getCACertificates?: (type: string) => string[] }).getCACertificates;
  try {
    return get ? get('system') : undefined;
  } catch {
    return undefined;
  }
}

/** The system store, checked the way tools use it: a TLS connection with only the system roots. */
export async function checkSystemStore(
  ctx: CheckContext,
  bundle = ctx.platform.os === 'linux' ? systemBundleFile() : undefined,
): Promise<StoreCheck> {
  const base = { id: 'system', kind: 'system' as const, label: 'system store' };
  if (!ctx.endpoint) return { ...base, result: 'unknown', detail: 'no TLS endpoint to check against' };
  let roots: string | string[] | undefined;
  let from: string;
  if (bundle) {
    roots = fs.readFileSync(bundle, 'utf8');
    from = bundle;
  } else {
    roots = osStoreRoots();
    from = 'the OS store';
  }
  if (!roots)
    return {
      ...base,
      result: 'unknown',
      detail: 'this Node cannot read the OS certificate store (needs Node 22.15 or later)',
    };
  const r = await tlsHandshake(ctx.endpoint, roots);
  const where = `TLS to ${ctx.endpoint.servername} on ${ctx.endpoint.connectTo}:${ctx.endpoint.port} (${ctx.endpoint.source}) with ${from}`;
  if (r.ok) return { ...base, result: 'trusted', detail: `${where}: verified` };
  if (r.code && CERT_ERRORS.test(r.code)) return { ...base, result: 'not-trusted', detail: `${where}: ${r.code}` };
  return { ...base, result: 'unknown', detail: `${where}: ${r.code ?? r.message}` };
}

function derOf(pem: string): Buffer {
  return new crypto.X509Certificate(pem).raw;
}

/** One store that `ca trust` added to, checked with that store's own tool. */
export async function checkTarget(t: TrustTarget, ctx: CheckContext): Promise<StoreCheck> {
  const run = ctx.run ?? defaultRun;
  const base = { id: targetId(t), kind: t.kind, label: targetLabel(t) };
  const ran = (argv: string[], r: RunResult) =>
    `${argv.join(' ')} → exit ${r.code}${r.code !== 0 && r.stderr.trim() ? `: ${r.stderr.trim().split('\n')[0]}` : ''}`;
  switch (t.store) {
    case 'linux': {
      const sys = await checkSystemStore(ctx);
      return { ...base, result: sys.result, detail: sys.detail };
    }
    case 'nss': {
      const db = `${t.format}:${t.dir}`;
      const pemArgv = ['certutil', '-L', '-d', db, '-n', ctx.names.nickname, '-a'];
      const pem = await run(pemArgv);
      if (pem.code === -1) return { ...base, result: 'unknown', detail: `certutil could not run: ${pem.stderr}` };
      if (pem.code !== 0) return { ...base, result: 'not-trusted', detail: ran(pemArgv, pem) };
      const ours = pem.stdout.includes('BEGIN CERTIFICATE') && derOf(pem.stdout).equals(derOf(ctx.caPem));
      if (!ours)
        return { ...base, result: 'not-trusted', detail: `${ctx.names.nickname} in ${db} is a different certificate` };
      const list = await run(['certutil', '-L', '-d', db]);
      const line = list.stdout
        .split('\n')
        .find((l) => l.startsWith(ctx.names.nickname + ' ') || l.startsWith(ctx.names.nickname + '\t'));
      const flags = line?.trim().split(/\s+/).pop() ?? '';
      const sslFlags = flags.split(',')[0] ?? '';
      return sslFlags.includes('C')
        ? { ...base, result: 'trusted', detail: `${ctx.names.nickname} in ${db} with trust flags ${flags}` }
        : {
            ...base,
            result: 'not-trusted',
            detail: `${ctx.names.nickname} in ${db} has trust flags "${flags}" (needs C for TLS)`,
          };
    }
    case 'java': {
      const argv = [
        t.keytool,
        '-list',
        '-alias',
        ctx.names.nickname,
        '-keystore',
        t.keystore,
        '-storepass',
        'changeit',
      ];
      const r = await run(argv);
      if (r.code === -1) return { ...base, result: 'unknown', detail: `keytool could not run: ${r.stderr}` };
      return { ...base, result: r.code === 0 ? 'trusted' : 'not-trusted', detail: ran(argv.slice(0, -2), r) };
    }
    case 'macos': {
      const fileArgv = ['security', 'verify-cert', '-c', ctx.caFile, '-p', 'basic'];
      const r = await run(fileArgv);
      if (r.code === -1) return { ...base, result: 'unknown', detail: `security could not run: ${r.stderr}` };
      return { ...base, result: r.code === 0 ? 'trusted' : 'not-trusted', detail: ran(fileArgv, r) };
    }
    case 'windows': {
      const argv = ['certutil', '-user', '-verifystore', 'Root', ctx.names.sha1];
      const r = await run(argv);
      if (r.code === -1) return { ...base, result: 'unknown', detail: `certutil could not run: ${r.stderr}` };
      return { ...base, result: r.code === 0 ? 'trusted' : 'not-trusted', detail: ran(argv, r) };
    }
    case 'wsl-windows': {
      const argv = [
        'powershell.exe',
        '-NoProfile',
        '-NonInteractive',
        '-Command',
        `Test-Path Cert:\\CurrentUser\\Root\\${ctx.names.sha1}`,
      ];
      const r = await run(argv);
      if (r.code !== 0) return { ...base, result: 'unknown', detail: ran(argv, r) };
      return {
        ...base,
        result: /True/i.test(r.stdout) ? 'trusted' : 'not-trusted',
        detail: `Cert:\\CurrentUser\\Root\\${ctx.names.sha1}: ${r.stdout.trim()}`,
      };
    }
  }
}

/**
 * The system store (always: it is what curl, Go, Python and most tools use) and every store
 * `ca trust` added to. A Linux system-store target is covered by the system TLS check.
 */
export async function checkAll(targets: TrustTarget[], ctx: CheckContext): Promise<StoreCheck[]> {
  const out: StoreCheck[] = [];
  const hasLinux = targets.some((t) => t.store === 'linux');
  if (!hasLinux && ctx.platform.os === 'linux') out.push(await checkSystemStore(ctx));
  for (const t of targets) out.push(await checkTarget(t, ctx));
  return out;
}

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import * as selfsigned from 'selfsigned';
import { tempDir } from '../support/env';

export const CHROMIUM = process.env.CHS_CHROMIUM || '/usr/bin/chromium';

/** The flags the issue prescribes; note: no --ignore-certificate-errors, ever. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A fresh HOME with an empty NSS database where Chromium on Linux looks (~/.pki/nssdb). */
export function freshNssHome(): { home: string; nssDb: string } {
  const home = tempDir('chs-home-');
  const nssDb = path.join(home, '.pki', 'nssdb');
  fs.mkdirSync(nssDb, { recursive: true, mode: 0o700 });
  execFileSync('certutil', ['-N', '--empty-password', '-d', `sql:${nssDb}`]);
  return { home, nssDb };
}

export interface LoadResult {
  ok: boolean;
  status?: number;
  body?: string;
  /** e.g. net::ERR_CERT_AUTHORITY_INVALID */
  error?: string;
  /** Chromium's visible security state ('secure', 'insecure', ...), from the DevTools protocol. */
  securityState?: string;
  securityDetails?: { issuer?: string; protocol?: string; subjectName?: string } | null;
}

/** Headless Chromium reading the NSS database of `home`, with a fresh profile. */
export async function launchChromium(
  home: string,
  extraArgs: string[] = [],
  /** Another launcher (test/lan: a wrapper that enters the phone's network namespace). */
  executablePath = CHROMIUM,
): Promise<{ context: BrowserContext; load: (url: string) => Promise<LoadResult>; close: () => Promise<void> }> {
  const userDataDir = tempDir('chs-chromium-profile-');
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
    env: { ...process.env, HOME: home },
    timeout: 60_000,
  });
  const load = async (url: string): Promise<LoadResult> => {
    const page: Page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Security.enable');
    let securityState: string | undefined;
    cdp.on('Security.visibleSecurityStateChanged', (e: { visibleSecurityState: { securityState: string } }) => {
      securityState = e.visibleSecurityState.securityState;
    });
    try {
      const res = await page.goto(url, { timeout: 30_000 });
      const body = await page.textContent('body');
      // The state event follows the navigation; wait for it rather than sleeping a fixed time.
      for (let i = 0; i < 50 && !securityState; i++) await new Promise((r) => setTimeout(r, 50));
      return {
        ok: true,
        status: res?.status(),
        body: body ?? '',
        securityState,
        securityDetails: await res?.securityDetails(),
      };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      return { ok: false, error: /net::[A-Z_]+/.exec(message)?.[0] ?? message.split('\n')[0], securityState };
    } finally {
      await page.close().catch(() => undefined);
    }
  };
  const close = async () => {
    await context.close().catch(() => undefined);
    fs.rmSync(userDataDir, { recursive: true, force: true });
  };
  return { context, load, close };
}

/**
 * A leaf signed with the CA's own key by the test, bypassing LocalCa's refusal, for any name:
 * it proves the browser (not our code) enforces the CA's name constraints.
 */
export async function signLeafWithCaKey(stateDir: string, host: string): Promise<{ cert: string; key: string }> {
  const pems = await selfsigned.generate([{ name: 'commonName', value: host }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(Date.now() - 60_000),
    notAfterDate: new Date(Date.now() + 30 * 24 * 3600 * 1000),
    ca: {
      key: fs.readFileSync(path.join(stateDir, 'ca', 'root.key'), 'utf8'),
      cert: fs.readFileSync(path.join(stateDir, 'ca', 'root.pem'), 'utf8'),
    },
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: host }] },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** A small HTTPS server on loopback serving one certificate. */
export async function startTlsServer(
  cert: string,
  key: string,
  body: string,
): Promise<{ port: number; close: () => Promise<void> }> {
  const server = https.createServer({ cert, key }, (_req, res) => res.end(body));
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** Environment for CLI runs: the test HOME, and no JAVA_HOME so the machine's Java is never touched. */
export function cliEnv(home: string): NodeJS.ProcessEnv {
  return { HOME: home, JAVA_HOME: '', XDG_STATE_HOME: path.join(home, '.local', 'state') };
}

import * as fs from 'node:fs';
import * as https from 'node:https';
import * as tls from 'node:tls';
import * as vscode from 'vscode';
import type { ContainerHttpsApi } from '../../extension/main';

export const EXTENSION_ID = 'container-https.container-https';

export async function activateExtension(): Promise<ContainerHttpsApi> {
  const ext = vscode.extensions.getExtension<ContainerHttpsApi>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not loaded in this workbench`);
  return ext.activate();
}

/**
 * Resolves once `check` returns a value, re-checking whenever `onChange` fires (the UI's own
 * change events, no polling), or rejects with `what` after a generous safety limit.
 */
export function waitFor<T>(
  what: string,
  onChange: vscode.Event<unknown>,
  check: () => T | undefined | false,
  limitMs = 60_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const first = check();
    if (first) return resolve(first);
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`still waiting for ${what} after ${limitMs / 1000} s`));
    }, limitMs);
    const sub = onChange(() => {
      const v = check();
      if (!v) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(v);
    });
  });
}

/**
 * Runs a command that shows quick inputs and accepts each one with what it proposes (the
 * prefilled host name, the single port), as a user pressing Enter would.
 */
export async function runAcceptingDefaults<T>(command: string, ...args: unknown[]): Promise<T> {
  return runAccepting<T>(['workbench.action.acceptSelectedQuickOpenItem'], command, ...args);
}

async function runAccepting<T>(accept: string[], command: string, ...args: unknown[]): Promise<T> {
  let done = false;
  const result = Promise.resolve(vscode.commands.executeCommand<T>(command, ...args)).finally(() => (done = true));
  while (!done) {
    await new Promise((r) => setTimeout(r, 200));
    for (const a of accept) if (!done) await Promise.resolve(vscode.commands.executeCommand(a)).catch(() => undefined);
  }
  return result;
}

/** GET https://host:port/ at 127.0.0.1, verifying the certificate against `caFile` only. */
export function httpsGetVerified(
  host: string,
  port: number,
  caFile: string,
): Promise<{ status: number; body: string; issuer: string; authorized: boolean }> {
  const ca = fs.readFileSync(caFile, 'utf8');
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port, servername: host, path: '/', headers: { host: `${host}:${port}` }, ca, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => {
          const socket = res.socket as tls.TLSSocket;
          resolve({
            status: res.statusCode ?? 0,
            body,
            issuer: String(socket.getPeerCertificate().issuer?.CN ?? ''),
            authorized: socket.authorized,
          });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

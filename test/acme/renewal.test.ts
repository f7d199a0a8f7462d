import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import * as path from 'node:path';
import type * as tls from 'node:tls';
import { CertsResponse, RoutesResponse } from '../../proxy-core/src/control/apiTypes';
import { ControlClient } from '../../proxy-core/src/control/controlClient';
import { Daemon } from '../../proxy-core/src/daemon/daemon';
import { startEchoBackend } from '../support/backends';
import { startDaemon } from '../support/daemon';
import { serviceMissing, tempDir } from '../support/env';
import { httpsGet } from '../support/https';
import { Pebble, get, startPebble } from './pebble';

const skip = serviceMissing('pebble');
type Backend = Awaited<ReturnType<typeof startEchoBackend>>;
type HistoryEntry = NonNullable<Daemon['acme']>['scheduler']['history'][number];

async function acmeDaemon(pebble: Pebble, directoryUrl = pebble.directoryUrl) {
  return startDaemon({
    httpsPort: pebble.tlsPort,
    httpPort: pebble.httpPort,
    acme: {
      directory: directoryUrl,
      caFile: pebble.trustFile,
      agreeTos: true,
      challenge: 'http-01',
      // Short backoff so a test sees several attempts; the default starts at 5 minutes.
      retry: { minMs: 400, maxMs: 3000 },
    },
  });
}

/** Resolves with the first scheduler event for host matching `want` (polled: the scheduler is plain data). */
async function waitForEvent(
  daemon: Daemon,
  host: string,
  want: (e: HistoryEntry) => boolean,
  since = 0,
  timeoutMs = 30_000,
): Promise<HistoryEntry> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = daemon.acme!.scheduler.history.slice(since).find((e) => e.host === host && want(e));
    if (hit) return hit;
    if (Date.now() > deadline)
      throw new Error(
        `no matching scheduler event for ${host}: ${JSON.stringify(daemon.acme!.scheduler.history, null, 1)}`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}

function h2Session(host: string, port: number, ca: string): http2.ClientHttp2Session {
  return http2.connect(`https://127.0.0.1:${port}`, { ca, servername: host });
}

function h2Request(
  session: http2.ClientHttp2Session,
  host: string,
  port: number,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':path': '/', ':authority': `${host}:${port}` });
    let status = 0;
    let body = '';
    req.setEncoding('utf8');
    req.on('response', (h) => (status = Number(h[':status'])));
    req.on('data', (d) => (body += d));
    req.on('end', () => resolve({ status, body }));
    req.on('error', reject);
    req.end();
  });
}

function describeHistory(daemon: Daemon, host: string): string {
  return daemon
    .acme!.scheduler.history.filter((e) => e.host === host)
    .map(
      (e) =>
        `${e.at} ${e.event}${e.next ? ` next=${e.next}` : ''} (${e.reason}${e.lastError ? `; ${e.lastError}` : ''})`,
    )
    .join('\n');
}

describe('ACME renewal at one third of the lifetime left (Pebble 2.4 has no ARI), 9 s certificates', { skip }, () => {
  let pebble: Pebble;
  let backend: Backend;
  before(async () => {
    pebble = await startPebble({ validitySeconds: 9 });
    backend = await startEchoBackend('renew-backend');
  });
  after(async () => {
    await backend?.close();
    await pebble?.stop();
  });

  test('the renewed certificate replaces the old one without dropping an open connection', async (t) => {
    const { daemon } = await acmeDaemon(pebble);
    const host = 'renew.example.com';
    let session: http2.ClientHttp2Session | undefined;
    try {
      await daemon.routes.expose(host, { target: backend.url, tls: 'acme' });
      session = h2Session(host, pebble.tlsPort, pebble.rootPem);
      const first = daemon.certs.store.get(host)!.meta;
      const lifetime = Date.parse(first.notAfter) - Date.parse(first.notBefore);
      const planned = await waitForEvent(daemon, host, (e) => e.event === 'scheduled');
      assert.equal(planned.reason, 'one third of the lifetime left');
      assert.ok(
        Math.abs(Date.parse(planned.next) - (Date.parse(first.notAfter) - lifetime / 3)) < 1,
        `${planned.next}`,
      );
      assert.equal(daemon.status().acme.renewalInfo, false, 'Pebble 2.4 offers no renewalInfo');

      const before = await h2Request(session, host, pebble.tlsPort);
      assert.equal(before.status, 200);
      const socket = session.socket as tls.TLSSocket;
      assert.equal(socket.getPeerCertificate().fingerprint256, first.fingerprint256);

      await waitForEvent(daemon, host, (e) => e.event === 'renewed');
      const second = daemon.certs.store.get(host)!.meta;
      assert.notEqual(second.fingerprint256, first.fingerprint256);
      assert.ok(Date.parse(second.notAfter) > Date.parse(first.notAfter));

      // Same HTTP/2 connection, still answering, still on the certificate it was opened with.
      const during = await h2Request(session, host, pebble.tlsPort);
      assert.equal(during.status, 200);
      assert.equal(session.socket, socket);
      assert.equal(session.destroyed, false);
      // A new connection gets the new certificate, verified against Pebble's root.
      const fresh = await httpsGet({ host, port: pebble.tlsPort, ca: pebble.rootPem });
      assert.equal(fresh.status, 200);
      assert.equal(fresh.peerCertificate?.fingerprint256, second.fingerprint256);
      t.diagnostic(`scheduler for ${host}:\n${describeHistory(daemon, host)}`);
    } finally {
      session?.close();
      await daemon.close();
    }
  });

  test('challenge listener down: the renewal fails with a clear error, backs off, keeps the old certificate, recovers', async (t) => {
    const { daemon, stateDir } = await acmeDaemon(pebble);
    // What the editor sees: the control API's live events.
    const events: Array<{ event: string; data: unknown }> = [];
    const unsubscribe = new ControlClient(stateDir).subscribe((event, data) => events.push({ event, data }));
    try {
      const host = 'down.example.com';
      await daemon.routes.expose(host, { target: backend.url, tls: 'acme' });
      // Settled first: on a loaded machine the 9 s certificate can already be due when it arrives,
      // and a renewal still in flight when the listener closes may pass its check and replace it.
      await waitForEvent(daemon, host, (e) => e.event === 'scheduled');
      const first = daemon.certs.store.get(host)!.meta;
      await daemon.http!.close();

      const failed = await waitForEvent(daemon, host, (e) => e.event === 'failed');
      assert.match(failed.lastError ?? '', /could not validate down\.example\.com by http-01: .*connection refused/i);
      assert.equal(failed.failures, 1);
      const meta = daemon.certs.store.get(host)!.meta;
      assert.equal(meta.fingerprint256, first.fingerprint256, 'the valid certificate stays');
      assert.equal(meta.lastError, failed.lastError, 'the error is in the certificate status for the editor');
      assert.equal(meta.renewAt, failed.next, 'the next attempt is in the certificate status');
      const served = await httpsGet({ host, port: pebble.tlsPort, ca: pebble.rootPem });
      assert.equal(served.status, 200);
      assert.equal(served.peerCertificate?.fingerprint256, first.fingerprint256);
      const certsEvent = events.find(
        (e) => e.event === 'certs' && (e.data as CertsResponse).certs.some((c) => c.host === host && c.lastError),
      );
      assert.ok(certsEvent, `an SSE certs event carried the error: ${JSON.stringify(events.map((e) => e.event))}`);
      const cert = (certsEvent.data as CertsResponse).certs.find((c) => c.host === host)!;
      assert.equal(cert.issuer, 'acme');
      assert.deepEqual(cert.hosts, [host]);
      assert.ok(cert.notAfter && cert.renewAt);
      assert.ok(
        events.some((e) => e.event === 'routes' && (e.data as RoutesResponse).routes.some((r) => r.host === host)),
        'routes were re-sent after the failure',
      );

      const again = await waitForEvent(daemon, host, (e) => e.event === 'failed' && e.failures === 2);
      assert.equal(again.reason, 'backoff after 2 failures');
      // Exponential: the second wait is twice the first (400 ms, then 800 ms).
      assert.equal(failed.delayMs, 400);
      assert.equal(again.delayMs, 800);

      await daemon.http!.listen();
      await waitForEvent(daemon, host, (e) => e.event === 'renewed');
      const renewed = daemon.certs.store.get(host)!.meta;
      assert.notEqual(renewed.fingerprint256, first.fingerprint256);
      assert.equal(renewed.lastError, undefined);
      t.diagnostic(`scheduler for ${host}:\n${describeHistory(daemon, host)}`);
    } finally {
      unsubscribe();
      await daemon.close();
    }
  });
});

/** RFC 9773 certID computed with openssl, independently of the daemon's own code. */
function opensslCertId(certPem: string): string {
  const dir = tempDir('chs-ari-');
  const file = path.join(dir, 'leaf.pem');
  fs.writeFileSync(file, certPem.slice(0, certPem.indexOf('-----END CERTIFICATE-----') + 25));
  const text = execFileSync('openssl', ['x509', '-in', file, '-noout', '-serial', '-ext', 'authorityKeyIdentifier'], {
    encoding: 'utf8',
  });
  fs.rmSync(dir, { recursive: true, force: true });
  const serialHex = /serial=([0-9A-F]+)/i.exec(text)![1];
  const akiHex = /(?:keyid:)?((?:[0-9A-F]{2}:)+[0-9A-F]{2})/i
    .exec(text.split('Authority Key Identifier:')[1])![1]
    .replace(/:/g, '');
  let serial = serialHex.length % 2 ? `0${serialHex}` : serialHex;
  if (parseInt(serial.slice(0, 2), 16) >= 0x80) serial = `00${serial}`;
  return `${Buffer.from(akiHex, 'hex').toString('base64url')}.${Buffer.from(serial, 'hex').toString('base64url')}`;
}

describe(
  'ACME renewal by ARI (RFC 9773) against a renewalInfo endpoint the test serves beside Pebble',
  { skip },
  () => {
    let pebble: Pebble;
    let backend: Backend;
    let front: https.Server;
    let frontUrl: string;
    const asked: string[] = [];
    // Per certID: the window the "CA" suggests. The first certificate is asked to renew at once.
    const windows = new Map<string, { start: Date; end: Date }>();

    before(async () => {
      pebble = await startPebble({ validitySeconds: 30 });
      backend = await startEchoBackend('ari-backend');
      front = https.createServer(
        { cert: pebble.listenerCertPem, key: fs.readFileSync(path.join(pebble.dir, 'key.pem')) },
        (req, res) => {
          void (async () => {
            if (req.url === '/dir') {
              // Pebble's own directory plus the renewalInfo entry Pebble 2.4 lacks.
              const dir = JSON.parse((await get(pebble.directoryUrl, pebble.listenerCertPem)).body);
              dir.renewalInfo = `${frontUrl}/renewal-info`;
              res.writeHead(200, { 'content-type': 'application/json' });
              return res.end(JSON.stringify(dir));
            }
            const id = /^\/renewal-info\/(.+)$/.exec(req.url ?? '')?.[1];
            if (!id) return res.writeHead(404).end();
            asked.push(id);
            const now = Date.now();
            const window =
              windows.get(id) ??
              (windows.size === 0
                ? { start: new Date(now - 1000), end: new Date(now) }
                : { start: new Date(now + 3600_000), end: new Date(now + 7200_000) });
            windows.set(id, window);
            res.writeHead(200, { 'content-type': 'application/json', 'retry-after': '21600' });
            res.end(
              JSON.stringify({
                suggestedWindow: { start: window.start.toISOString(), end: window.end.toISOString() },
                explanationURL: 'https://example.com/why',
              }),
            );
          })().catch((err) => res.writeHead(500).end(String(err)));
        },
      );
      await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
      frontUrl = `https://127.0.0.1:${(front.address() as import('node:net').AddressInfo).port}`;
    });
    after(async () => {
      await new Promise((r) => front?.close(r));
      await backend?.close();
      await pebble?.stop();
    });

    test('renews inside the suggested window (long before one third of the lifetime), then follows the next window', async (t) => {
      const { daemon, stateDir } = await acmeDaemon(pebble, `${frontUrl}/dir`);
      let restarted: Daemon | undefined;
      try {
        const host = 'ari.example.com';
        await daemon.routes.expose(host, { target: backend.url, tls: 'acme' });
        const first = daemon.certs.store.get(host)!;
        assert.equal(daemon.status().acme.renewalInfo, true);
        const firstId = opensslCertId(first.certPem);

        const renewed = await waitForEvent(daemon, host, (e) => e.event === 'renewed');
        assert.equal(asked[0], firstId, 'the daemon asked about the first certificate by its RFC 9773 certID');
        const second = daemon.certs.store.get(host)!;
        assert.notEqual(second.meta.fingerprint256, first.meta.fingerprint256);
        // Renewed well before the fallback (20 s into a 30 s certificate) would have.
        const fallbackAt =
          Date.parse(first.meta.notAfter) - (Date.parse(first.meta.notAfter) - Date.parse(first.meta.notBefore)) / 3;
        assert.ok(Date.parse(second.meta.notBefore) < fallbackAt);

        const secondId = opensslCertId(second.certPem);
        const after = daemon.acme!.scheduler.history.indexOf(renewed);
        const next = await waitForEvent(
          daemon,
          host,
          (e) => e.event === 'scheduled' && e.reason.startsWith('ARI window'),
          after,
        );
        const window = windows.get(secondId)!;
        assert.ok(
          Date.parse(next.next) >= window.start.getTime() && Date.parse(next.next) <= window.end.getTime(),
          `${next.next} inside ${window.start.toISOString()}–${window.end.toISOString()}`,
        );
        assert.equal(daemon.certs.store.get(host)!.meta.renewAt, next.next);
        t.diagnostic(`scheduler for ${host}:\n${describeHistory(daemon, host)}`);

        // After a restart (certificate from disk, nothing ordered yet) the plan still comes from ARI.
        await daemon.close();
        const askedBefore = asked.length;
        restarted = (
          await startDaemon({
            stateDir,
            httpsPort: pebble.tlsPort,
            httpPort: pebble.httpPort,
            acme: { directory: `${frontUrl}/dir`, caFile: pebble.trustFile },
          })
        ).daemon;
        const replanned = await waitForEvent(restarted, host, (e) => e.event === 'scheduled');
        assert.match(replanned.reason, /^ARI window/);
        assert.equal(asked[askedBefore], secondId);
        assert.ok(
          !restarted.acme!.scheduler.history.some((e) => e.event === 'renewed' || e.event === 'issued'),
          'no order after the restart',
        );
      } finally {
        await daemon.close();
        await restarted?.close();
      }
    });
  },
);

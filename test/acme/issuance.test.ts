import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http2 from 'node:http2';
import * as tls from 'node:tls';
import { CertsResponse, DaemonStatus } from '../../proxy-core/src/control/apiTypes';
import { ControlClient } from '../../proxy-core/src/control/controlClient';
import { startEchoBackend } from '../support/backends';
import { cliAsync, spawnServe } from '../support/daemon';
import { serviceMissing } from '../support/env';
import { httpsGet } from '../support/https';
import { Pebble, startPebble, pebbleServeArgs } from './pebble';
import { plainGet } from '../support/https';

const skip = serviceMissing('pebble');

/** The daemon as a user runs it, pointed at our Pebble, listening where Pebble validates. */
function serveArgs(pebble: Pebble, challenge: 'http-01' | 'tls-alpn-01'): string[] {
  return [...pebbleServeArgs(pebble), '--acme-email', 'dev@example.com', '--acme-challenge', challenge];
}

/** HTTP/2 by ALPN, verified against ca: the listener still negotiates h2 with our ALPN callback. */
function h2Alpn(host: string, port: number, ca: string): Promise<{ status: number; alpn: string | false | null }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`https://127.0.0.1:${port}`, { ca, servername: host });
    session.on('error', reject);
    const req = session.request({ ':path': '/', ':authority': `${host}:${port}` });
    req.on('response', (h) => {
      const alpn = (session.socket as tls.TLSSocket).alpnProtocol;
      req.resume();
      req.on('end', () => {
        session.close();
        resolve({ status: Number(h[':status']), alpn });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** A TLS handshake offering only acme-tls/1, as a CA validating TLS-ALPN-01 does. */
function acmeTlsHandshake(host: string, port: number, ca: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: host, ALPNProtocols: ['acme-tls/1'], ca }, () => {
      resolve(`connected with ${socket.alpnProtocol}`);
      socket.end();
    });
    socket.on('error', (err) => resolve(`refused: ${err.message}`));
  });
}

describe('ACME issuance through the daemon and CLI, validated by a real Pebble', { skip }, () => {
  let pebble: Pebble;
  let backend: Awaited<ReturnType<typeof startEchoBackend>>;

  before(async () => {
    pebble = await startPebble();
    backend = await startEchoBackend('acme-backend');
  });
  after(async () => {
    await backend?.close();
    await pebble?.stop();
  });

  for (const challenge of ['http-01', 'tls-alpn-01'] as const) {
    test(`${challenge}: expose --acme gets a certificate that chains to Pebble's root and the route serves it`, async (t) => {
      const serve = await spawnServe(serveArgs(pebble, challenge));
      try {
        const host = `${challenge.replace(/-/g, '')}.example.com`;
        const started = Date.now();
        const r = await cliAsync(['expose', host, backend.url, '--acme', '--state-dir', serve.stateDir]);
        const ms = Date.now() - started;
        assert.equal(r.code, 0, `expose failed: ${r.stderr}\n${serve.output()}`);
        assert.match(
          r.stdout,
          new RegExp(`https://${host.replace(/\./g, '\\.')}:${pebble.tlsPort}/ -> ${backend.url}`),
        );
        t.diagnostic(`${challenge}: expose --acme (order, validation, finalize, download, probe) took ${ms} ms`);

        // Verified against Pebble's issuing root alone: the chain the daemon serves is complete.
        const res = await httpsGet({ host, port: pebble.tlsPort, ca: pebble.rootPem });
        assert.equal(res.status, 200);
        assert.equal(JSON.parse(res.body).name, 'acme-backend');
        const peer = res.peerCertificate as tls.PeerCertificate;
        assert.match(peer.subjectaltname ?? '', new RegExp(`DNS:${host}`));
        assert.match(String(peer.issuer.CN), /Pebble/i);

        const certs = JSON.parse(
          (await cliAsync(['certs', '--json', '--state-dir', serve.stateDir])).stdout,
        ) as CertsResponse;
        const meta = certs.certs.find((c) => c.host === host);
        assert.ok(meta, JSON.stringify(certs));
        assert.equal(meta.issuer, 'acme');
        assert.deepEqual(meta.hosts, [host]);
        assert.equal(meta.directory, pebble.directoryUrl);
        assert.match(meta.issuerName, /Pebble/i);
        assert.ok(meta.renewAt && Date.parse(meta.renewAt) < Date.parse(meta.notAfter), 'a renewal time before expiry');
        assert.equal(meta.lastError, undefined);

        const status = serve.status as DaemonStatus;
        assert.equal(status.acme.enabled, true);
        assert.equal(status.acme.trustFile, pebble.trustFile);
        assert.equal(status.acme.challenge, challenge);

        // The daemon's own measure of the order (directory check → certificate stored).
        const live = await new ControlClient(serve.stateDir).request<DaemonStatus>('GET', '/v1/status');
        const timing = live.acme.recentIssuances?.find((i) => i.host === host);
        assert.ok(timing, JSON.stringify(live.acme));
        t.diagnostic(
          `${challenge}: daemon-side issuance ${timing.ms} ms; schedule: ${JSON.stringify(live.acme.schedule?.find((e) => e.host === host))}`,
        );

        const h2 = await h2Alpn(host, pebble.tlsPort, pebble.rootPem);
        assert.deepEqual(h2, { status: 200, alpn: 'h2' });
        // No validation in flight: nobody gets an acme-tls/1 connection (the CA's probe is not a backdoor).
        assert.match(
          await acmeTlsHandshake(host, pebble.tlsPort, pebble.rootPem),
          /refused: .*no application protocol/,
        );

        // The HTTP listener: only live tokens come from the challenge path; the rest redirects.
        const unknown = await plainGet(pebble.httpPort, host, '/.well-known/acme-challenge/not-a-token');
        assert.equal(unknown.status, 404);
        const redirect = await plainGet(pebble.httpPort, host, '/page?x=1');
        assert.equal(redirect.status, 308);
        assert.equal(redirect.headers.location, `https://${host}:${pebble.tlsPort}/page?x=1`);
      } finally {
        await serve.stop();
      }
    });
  }

  test('NODE_EXTRA_CA_CERTS instead of --acme-ca-file: the daemon reaches the CA, and expose verifies the issued certificate the way a browser would', async () => {
    // How a company's private ACME CA (or a TLS-inspecting proxy) is usually trusted by Node tools.
    // The daemon and the CLI both get it only through the environment, as a user would set it.
    const previous = process.env.NODE_EXTRA_CA_CERTS;
    process.env.NODE_EXTRA_CA_CERTS = pebble.trustFile;
    try {
      const serve = await spawnServe(
        serveArgs(pebble, 'http-01').filter((a, i, all) => a !== '--acme-ca-file' && all[i - 1] !== '--acme-ca-file'),
      );
      try {
        assert.equal(serve.status.acme.trustFile, undefined);
        const host = 'extraca.example.com';
        const r = await cliAsync(['expose', host, backend.url, '--acme', '--state-dir', serve.stateDir]);
        assert.equal(r.code, 0, `expose failed: ${r.stderr}\n${serve.output()}`);
        assert.match(r.stdout, /\(Let's Encrypt, HTTP 200\)/);
        const res = await httpsGet({ host, port: pebble.tlsPort, ca: pebble.rootPem });
        assert.equal(res.status, 200);
      } finally {
        await serve.stop();
      }
    } finally {
      if (previous === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
      else process.env.NODE_EXTRA_CA_CERTS = previous;
    }
  });
});

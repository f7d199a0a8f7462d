import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as https from 'node:https';
import { ControlClient } from '../../proxy-core/src/control/controlClient';
import { Daemon } from '../../proxy-core/src/daemon/daemon';
import { startEchoBackend } from '../support/backends';
import { cli, spawnServe, startDaemon, untilWorkerReady } from '../support/daemon';
import { tempDir } from '../support/env';
import { FetchResult, h2Get, httpsGet, wssTo } from '../support/https';
import { processAlive, serverSocketOwner } from '../support/sockets';
import { until } from '../support/wait';

const readyWorkers = (daemon: Daemon) => daemon.status().https.workers!;

/** A kept-alive HTTP/1.1 connection, and which process serves its server end. */
class Connection {
  readonly agent: https.Agent;
  owner?: number;
  localPort?: number;
  constructor(
    private readonly daemon: Daemon,
    private readonly host: string,
    private readonly ca: string,
  ) {
    this.agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
  }

  async get(path = '/'): Promise<FetchResult> {
    const port = this.daemon.httpsPort;
    const res = await httpsGet({ host: this.host, port, ca: this.ca, agent: this.agent, path });
    if (this.localPort !== undefined)
      assert.equal(res.localPort, this.localPort, 'the request went over the same connection');
    this.localPort = res.localPort;
    this.owner ??= serverSocketOwner(port, res.localPort!, [process.pid, ...readyWorkers(this.daemon).pids]);
    return res;
  }

  close(): void {
    this.agent.destroy();
  }
}

function wsEcho(port: number, host: string, ca: string): Promise<string[]> {
  const ws = wssTo(port, host, ca);
  const messages: string[] = [];
  return new Promise<string[]>((resolve, reject) => {
    ws.on('message', (data) => {
      messages.push(String(data));
      if (messages.length === 1) ws.send('ping');
      else {
        ws.close();
        resolve(messages);
      }
    });
    ws.on('error', reject);
  });
}

/** Opens connections until one is served by a process of the wanted kind. */
async function connectionIn(
  kind: 'worker' | 'daemon',
  daemon: Daemon,
  host: string,
  ca: string,
): Promise<{ conn: Connection; first: FetchResult }> {
  for (let i = 0; i < 6; i++) {
    const conn = new Connection(daemon, host, ca);
    const first = await conn.get();
    if ((conn.owner === process.pid) === (kind === 'daemon')) return { conn, first };
    conn.close();
  }
  throw new Error(`no connection landed in the ${kind} in 6 tries`);
}

test('with one worker, connections are dealt out in turn to the daemon and the worker, and both serve every route with its certificate', async () => {
  const a = await startEchoBackend('a');
  const b = await startEchoBackend('b');
  const { daemon, ca, logs } = await startDaemon({ workers: 1 });
  try {
    const { pids } = await until('the worker', () => readyWorkers(daemon).ready === 1 && readyWorkers(daemon), 10_000);
    assert.notEqual(pids[0], process.pid);
    assert.ok(logs.some((l) => l === `proxy worker ${pids[0]} serving`));
    await daemon.routes.expose('a.localhost', { target: a.url });
    await daemon.routes.expose('b.localhost', { target: b.url });
    const owners: number[] = [];
    for (let i = 0; i < 4; i++) {
      for (const [host, backend] of [
        ['a.localhost', 'a'],
        ['b.localhost', 'b'],
      ]) {
        const conn = new Connection(daemon, host, ca);
        const res = await conn.get(`/${i}`);
        conn.close();
        assert.equal(res.status, 200);
        assert.equal(JSON.parse(res.body).name, backend);
        assert.equal(res.peerCertificate?.subjectaltname, `DNS:${host}`);
        assert.equal(
          res.peerCertificate?.fingerprint256,
          new crypto.X509Certificate(daemon.certs.store.get(host)!.certPem).fingerprint256,
        );
        owners.push(conn.owner!);
      }
    }
    // Round robin: the 8 connections alternate between the two processes.
    assert.deepEqual(
      owners,
      owners.map((_, i) => (i % 2 === owners.indexOf(process.pid) % 2 ? process.pid : pids[0])),
    );
    assert.equal(owners.filter((p) => p === pids[0]).length, 4);
    // So of two consecutive connections one is the worker's: HTTP/2 and WebSocket work in both.
    for (let i = 0; i < 2; i++) {
      const res = await h2Get({ host: 'a.localhost', port: daemon.httpsPort, ca });
      assert.equal(res.status, 200);
      assert.equal(res.alpn, 'h2');
    }
    for (let i = 0; i < 2; i++)
      assert.deepEqual(await wsEcho(daemon.httpsPort, 'b.localhost', ca), [
        `hello b.localhost:${daemon.httpsPort}`,
        'echo:ping',
      ]);
  } finally {
    await daemon.close();
    await a.close();
    await b.close();
  }
});

test('expose, unexpose and a renewal are served by the worker as soon as they return, on a connection it already holds', async () => {
  const backend = await startEchoBackend('late');
  const { daemon, ca } = await startDaemon({ workers: 1 });
  try {
    await until('the worker', () => readyWorkers(daemon).ready === 1, 10_000);
    // Before the route exists: the worker serves the 404 page with a certificate the daemon's CA made for it.
    const { conn, first } = await connectionIn('worker', daemon, 'late.localhost', ca);
    try {
      assert.equal(first.status, 404);
      assert.equal(first.peerCertificate?.subjectaltname, 'DNS:late.localhost');
      await daemon.routes.expose('late.localhost', { target: backend.url });
      const served = await conn.get('/after-expose');
      assert.equal(served.status, 200);
      assert.equal(JSON.parse(served.body).url, '/after-expose');

      const renewed = await new ControlClient(daemon.paths.stateDir).request<{ fingerprint256: string }>(
        'POST',
        '/v1/certs/late.localhost/renew',
      );
      const fresh = await connectionIn('worker', daemon, 'late.localhost', ca);
      fresh.conn.close();
      assert.equal(fresh.first.status, 200);
      assert.equal(fresh.first.peerCertificate?.fingerprint256, renewed.fingerprint256);

      await daemon.routes.unexpose('late.localhost');
      assert.equal((await conn.get('/after-unexpose')).status, 404);
    } finally {
      conn.close();
    }
  } finally {
    await daemon.close();
    await backend.close();
  }
});

test('a worker that dies is replaced; until then the daemon serves every connection', async () => {
  const backend = await startEchoBackend();
  const { daemon, ca, logs } = await startDaemon({ workers: 1, workerRestartMs: { first: 200, max: 1000 } });
  try {
    const [first] = (await until('the worker', () => readyWorkers(daemon).ready === 1 && readyWorkers(daemon), 10_000))
      .pids;
    await daemon.routes.expose('crash.localhost', { target: backend.url });
    process.kill(first, 'SIGKILL');
    await until(
      'the daemon to notice',
      () =>
        readyWorkers(daemon).ready === 0 && logs.some((l) => l.startsWith(`proxy worker ${first} exited (SIGKILL)`)),
      10_000,
    );
    for (let i = 0; i < 4; i++) {
      const conn = new Connection(daemon, 'crash.localhost', ca);
      assert.equal((await conn.get()).status, 200);
      conn.close();
      assert.equal(conn.owner, process.pid);
    }
    const [second] = (
      await until('a new worker', () => readyWorkers(daemon).ready === 1 && readyWorkers(daemon), 10_000)
    ).pids;
    assert.notEqual(second, first);
    // The new worker starts from the whole state: routes and certificates made before it existed.
    const { conn, first: res } = await connectionIn('worker', daemon, 'crash.localhost', ca);
    conn.close();
    assert.equal(res.status, 200);
    assert.equal(conn.owner, second);
  } finally {
    await daemon.close();
    await backend.close();
  }
});

test('serve: the worker ends with the daemon, even when the daemon is killed with SIGKILL', async () => {
  const serve = await spawnServe(['--https-port', '0', '--no-http', '--no-docker', '--workers', '1']);
  try {
    const status = await untilWorkerReady(serve.stateDir);
    const [worker] = status.https.workers!.pids;
    assert.ok(processAlive(worker));
    serve.child.kill('SIGKILL');
    await until(`worker ${worker} to exit`, () => !processAlive(worker), 5000);
  } finally {
    await serve.stop();
  }
});

test('serve --workers 0 keeps every connection in one process; bad --workers values are refused', async () => {
  for (const bad of ['-1', 'two', '65']) {
    const r = cli([
      'serve',
      '--state-dir',
      tempDir(),
      '--https-port',
      '0',
      '--no-http',
      '--no-docker',
      '--workers',
      bad,
    ]);
    assert.notEqual(r.code, 0);
    assert.match(
      r.stderr,
      new RegExp(`--workers must be auto or a number of worker processes from 0 to 64, not "${bad}"`),
    );
  }
  const backend = await startEchoBackend();
  const { daemon, ca } = await startDaemon({ workers: 0 });
  try {
    assert.deepEqual(daemon.status().https.workers, { configured: 0, ready: 0, pids: [] });
    await daemon.routes.expose('one.localhost', { target: backend.url });
    for (let i = 0; i < 3; i++) {
      const conn = new Connection(daemon, 'one.localhost', ca);
      assert.equal((await conn.get()).status, 200);
      conn.close();
      assert.equal(conn.owner, process.pid);
    }
  } finally {
    await daemon.close();
    await backend.close();
  }
});

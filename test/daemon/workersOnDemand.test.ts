import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import type { Daemon } from '../../proxy-core/src/daemon/daemon';
import { startEchoBackend } from '../support/backends';
import { startDaemon } from '../support/daemon';
import { FetchResult, h2Get, httpsGet } from '../support/https';
import { processAlive, serverSocketOwner } from '../support/sockets';
import { until } from '../support/wait';

const workers = (daemon: Daemon) => daemon.status().https.workers!;

/** A kept-alive HTTP/1.1 connection; checks every request uses the same one, and knows which process serves it. */
class Connection {
  readonly agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
  owner?: number;
  private localPort?: number;
  constructor(
    private readonly daemon: Daemon,
    private readonly ca: string,
  ) {}

  async get(path = '/'): Promise<FetchResult> {
    const port = this.daemon.httpsPort;
    const res = await httpsGet({ host: 'app.localhost', port, ca: this.ca, agent: this.agent, path });
    assert.equal(res.status, 200);
    if (this.localPort !== undefined) assert.equal(res.localPort, this.localPort, 'the same connection');
    this.localPort = res.localPort;
    this.owner ??= serverSocketOwner(port, res.localPort!, [process.pid, ...workers(this.daemon).pids]);
    return res;
  }

  close(): void {
    this.agent.destroy();
  }
}

test('on demand: no worker while idle or on expose; one starts under load and takes every new connection, and stops after a quiet period only once its connections closed, dropping none', async () => {
  const backend = await startEchoBackend('app');
  const { daemon, ca, logs } = await startDaemon({
    workers: 1,
    workerOnDemand: { quietMs: 1500, connections: 4 },
  });
  const conns: Connection[] = [];
  try {
    await daemon.routes.expose('app.localhost', { target: backend.url });
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(workers(daemon), { configured: 1, ready: 0, pids: [] }, 'no worker while idle');

    // Four connections open at once in the daemon: that is load enough (connections: 4).
    for (let i = 0; i < 4; i++) {
      const c = new Connection(daemon, ca);
      await c.get();
      assert.equal(c.owner, process.pid, 'before the worker is up, the daemon serves');
      conns.push(c);
    }
    const { pids } = await until('a worker on demand', () => workers(daemon).ready === 1 && workers(daemon), 10_000);
    const worker = pids[0];
    assert.ok(logs.includes('proxy worker: starting one for the load'));

    // While it runs, every new connection goes to it: the daemon takes no turn, so what a load
    // leaves in memory goes away with the worker.
    const inWorker = new Connection(daemon, ca);
    await inWorker.get();
    assert.equal(inWorker.owner, worker, 'a new connection is dealt to the worker');
    const second = new Connection(daemon, ca);
    await second.get();
    assert.equal(second.owner, worker, 'and the next one too');
    second.close();

    // Quiet for longer than quietMs, but the worker still holds a connection: it stays, and serves it.
    await new Promise((r) => setTimeout(r, 2500));
    assert.ok(processAlive(worker), 'a worker with an open connection is not stopped');
    assert.equal(JSON.parse((await inWorker.get('/still')).body).url, '/still');

    // Once that connection closes, the quiet period runs out and the worker stops.
    inWorker.close();
    await until('the quiet worker to stop', () => !processAlive(worker) && workers(daemon).ready === 0, 10_000);
    assert.ok(logs.some((l) => l === `proxy worker ${worker}: no connections for 1.5 s, stopping it`));
    assert.ok(!logs.some((l) => /exited/.test(l)), 'a planned stop is no crash');

    // The daemon's own connections, idle while the worker ran, are still open (a request on one
    // then would have closed it: see the next test), and new ones are served.
    for (const c of conns) await c.get('/after');
    const fresh = new Connection(daemon, ca);
    await fresh.get();
    assert.equal(fresh.owner, process.pid);
    fresh.close();

    // The next load starts a worker again.
    for (let i = 0; i < 4; i++) {
      const c = new Connection(daemon, ca);
      await c.get();
      conns.push(c);
    }
    await until('a second worker on demand', () => workers(daemon).ready === 1, 10_000);
  } finally {
    for (const c of conns) c.close();
    await daemon.close();
    await backend.close();
  }
});

test("on demand: once a worker serves, the daemon's own keep-alive connections move to it (HTTP/1.1 closes after its next response, HTTP/2 gets GOAWAY), and no request fails", async () => {
  const backend = await startEchoBackend('app');
  const { daemon, ca } = await startDaemon({ workers: 1, workerOnDemand: { quietMs: 60_000, connections: 3 } });
  const port = daemon.httpsPort;
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
  const other = new https.Agent({ keepAlive: true, maxSockets: 1 });
  const session = http2.connect(`https://127.0.0.1:${port}`, { ca, servername: 'app.localhost' });
  const goaway = new Promise<void>((resolve) => session.once('goaway', () => resolve()));
  const h1 = (a: https.Agent) => httpsGet({ host: 'app.localhost', port, ca, agent: a });
  const h2 = () =>
    new Promise<number>((resolve, reject) => {
      const req = session.request({ ':path': '/', ':authority': `app.localhost:${port}` });
      req.on('response', (h) => resolve(Number(h[':status'])));
      req.on('error', reject);
      req.resume();
      req.end();
    });
  const owner = (localPort: number) => serverSocketOwner(port, localPort, [process.pid, ...workers(daemon).pids]);
  try {
    await daemon.routes.expose('app.localhost', { target: backend.url });
    // Before any worker: an HTTP/2 session and two HTTP/1.1 connections in the daemon, which is
    // load enough (connections: 3).
    assert.equal(await h2(), 200);
    const first = await h1(agent);
    assert.equal(owner(first.localPort!), process.pid);
    assert.notEqual(first.headers.connection, 'close');
    await h1(other);
    const { pids } = await until('a worker on demand', () => workers(daemon).ready === 1 && workers(daemon), 10_000);
    await goaway;
    // The daemon's HTTP/1.1 connection answers once more, with Connection: close…
    const last = await h1(agent);
    assert.equal(last.localPort, first.localPort, 'the same connection');
    assert.equal(last.headers.connection, 'close');
    // …and the client's next request opens a new one, which the worker serves.
    const next = await h1(agent);
    assert.notEqual(next.localPort, first.localPort);
    assert.equal(owner(next.localPort!), pids[0]);
    // After its GOAWAY the HTTP/2 client opens a new session for new requests.
    assert.equal((await h2Get({ host: 'app.localhost', port, ca })).status, 200);
  } finally {
    session.destroy();
    agent.destroy();
    other.destroy();
    await daemon.close();
    await backend.close();
  }
});

test('on demand with two workers: load starts both at once, and new connections alternate between them', async () => {
  const backend = await startEchoBackend('app');
  const { daemon, ca, logs } = await startDaemon({
    workers: 2,
    workerOnDemand: { quietMs: 60_000, connections: 2 },
  });
  const conns: Connection[] = [];
  const open = async () => {
    const c = new Connection(daemon, ca);
    await c.get();
    conns.push(c);
    return c.owner!;
  };
  try {
    await daemon.routes.expose('app.localhost', { target: backend.url });
    assert.equal(await open(), process.pid);
    assert.equal(await open(), process.pid);
    const { pids } = await until('two workers on demand', () => workers(daemon).ready === 2 && workers(daemon), 10_000);
    assert.equal(logs.filter((l) => /^proxy worker: starting/.test(l)).length, 1, 'one decision');
    assert.ok(logs.includes('proxy worker: starting 2 for the load'));
    const owners = [await open(), await open(), await open(), await open()];
    assert.ok(!owners.includes(process.pid), `the daemon takes no turn while workers run: ${owners}`);
    assert.deepEqual(new Set(owners), new Set(pids), 'both workers take connections');
    assert.notEqual(owners[0], owners[1], 'in turn');
  } finally {
    for (const c of conns) c.close();
    await daemon.close();
    await backend.close();
  }
});

test('on demand: a busy event loop with two connections open starts a worker; a single connection never does', async () => {
  const backend = await startEchoBackend('app');
  // busy: 0 counts any sample as busy, so only the two-connection rule decides here.
  const { daemon, ca } = await startDaemon({
    workers: 1,
    workerOnDemand: { quietMs: 60_000, connections: 100, busy: 0, sampleMs: 50 },
  });
  const conns: Connection[] = [];
  try {
    await daemon.routes.expose('app.localhost', { target: backend.url });
    const one = new Connection(daemon, ca);
    conns.push(one);
    for (let i = 0; i < 5; i++) await one.get();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(workers(daemon).ready, 0, 'one connection: a worker could not take any of its load');
    const two = new Connection(daemon, ca);
    conns.push(two);
    await two.get();
    await until('a worker for the busy loop', () => workers(daemon).ready === 1, 10_000);
  } finally {
    for (const c of conns) c.close();
    await daemon.close();
    await backend.close();
  }
});

test('on demand: a worker that crashes is not restarted on a timer; the next load starts one once the backoff delay has passed', async () => {
  const backend = await startEchoBackend('app');
  const { daemon, ca, logs } = await startDaemon({
    workers: 1,
    workerOnDemand: { quietMs: 60_000, connections: 2 },
    workerRestartMs: { first: 300, max: 1000 },
  });
  const conns: Connection[] = [];
  const open = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const c = new Connection(daemon, ca);
      await c.get();
      conns.push(c);
    }
  };
  try {
    await daemon.routes.expose('app.localhost', { target: backend.url });
    await open(2);
    const { pids } = await until('a worker on demand', () => workers(daemon).ready === 1 && workers(daemon), 10_000);
    process.kill(pids[0], 'SIGKILL');
    // The exit is reported after the channel closed: wait for the pool's own word on it.
    await until(
      'the crash to be seen',
      () => logs.some((l) => /until the load calls for a worker again/.test(l)),
      10_000,
    );
    assert.equal(workers(daemon).ready, 0);
    // Past the backoff delay, with no new connection: still none (nothing asked for one).
    await new Promise((r) => setTimeout(r, 800));
    assert.equal(workers(daemon).pids.length, 0);
    // The daemon served on meanwhile; the next connections (load) start a new worker.
    for (const c of conns.splice(0)) c.close();
    await open(2);
    const next = await until(
      'a new worker for the next load',
      () => workers(daemon).ready === 1 && workers(daemon),
      10_000,
    );
    assert.notEqual(next.pids[0], pids[0]);
  } finally {
    for (const c of conns) c.close();
    await daemon.close();
    await backend.close();
  }
});

import { ChildProcess, fork } from 'node:child_process';
import * as fs from 'node:fs';
import type * as net from 'node:net';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { errorMessage } from '../errors';
import type { ConnectionTaker } from '../proxy/connectionDispatcher';
import type { EncodedRecords } from '../capture/recordCodec';
import type { ConnectionTimeouts } from '../proxy/connectionTimer';
import type { RouteSnapshot } from '../routes/routeSnapshot';
import { RECORD_PIPE_FD, RecordFrameReader, recordPipeSupported } from './recordPipe';
import { type CertPem, type FromWorker, recordsFromWire, type ToWorker } from './workerProtocol';

export interface WorkerPoolOptions {
  count: number;
  /** The worker's entry: proxyWorker.js beside this module (in dist/ and in the tsc output alike). */
  script?: string;
  port: number;
  backendTimeoutMs: number;
  /** The client connections' header and idle deadlines (the worker's default when absent). */
  timeouts?: ConnectionTimeouts;
  defaultCert: { cert: string; key: string };
  /** Every route, resolved (container addresses included). */
  routes: () => RouteSnapshot;
  /** Every certificate the daemon serves: a new worker starts from these. */
  certs: () => CertPem[];
  /** A certificate for a name without a route (the 404 page), made by the daemon's CA. */
  fallback: (host: string) => Promise<CertPem | undefined>;
  log: (line: string) => void;
  /** Restart delays after a crash (tests shorten them). */
  restartDelayMs?: { first: number; max: number };
  /**
   * The request inspector: the workers record with these settings and hand their records here,
   * over the record pipe (recordPipe.ts) unless `pipe` is false (default: where it is supported;
   * tests set it to cover the JSON channel, which Windows uses).
   */
  capture?: { bodyBytes: number; onRecords: (records: EncodedRecords) => void; pipe?: boolean };
  /** How long sync() waits for a worker before it counts as wedged and is replaced (default 5 s). */
  ackTimeoutMs?: number;
  /**
   * Workers on demand: none at start; grow() starts them (up to count), and one that has served
   * no connection for quietMs is stopped. Without it, count workers run from start() on.
   */
  onDemand?: { quietMs: number };
  /** Called each time a worker starts serving (it can be handed connections from now on). */
  onReady?: () => void;
  /** On demand: called when the last worker has stopped after its quiet period (the load is over). */
  onIdle?: () => void;
}

interface Worker {
  child: ChildProcess;
  ready: boolean;
  acked: number;
  startedAt: number;
  take: ConnectionTaker;
  /** Connections handed over, and the worker's last word on how many it took and still serves. */
  handed: number;
  accepted: number;
  open: number;
  /** Stopped on purpose (on demand, after a quiet period): its exit is no crash. */
  retiring: boolean;
  quietTimer?: NodeJS.Timeout;
}

export interface WorkerStatus {
  configured: number;
  ready: number;
  pids: number[];
}

/**
 * The daemon's proxy workers: forks them, keeps each one's copy of routes and certificates in
 * step with the daemon's, and restarts one that dies. A worker is handed connections only once
 * it has its first copy; until then, and whenever none is ready, the daemon serves everything.
 */
export class WorkerPool {
  private readonly workers = new Set<Worker>();
  private readonly waiters: Array<{ seq: number; resolve: () => void }> = [];
  private seq = 0;
  private closed = false;
  private routesDirty = false;
  private readonly sentCerts = new Map<string, string>();
  private readonly script: string;
  private readonly firstRestartDelay: number;
  private readonly maxRestartDelay: number;
  private readonly ackTimeoutMs: number;
  private restartDelay: number;
  /** On demand: no new worker before this (a crashed one is not restarted in a tight loop). */
  private notBefore = 0;
  private scriptMissing = false;

  constructor(private readonly opts: WorkerPoolOptions) {
    this.script = opts.script ?? path.join(__dirname, 'proxyWorker.js');
    this.firstRestartDelay = opts.restartDelayMs?.first ?? 1000;
    this.maxRestartDelay = opts.restartDelayMs?.max ?? 30_000;
    this.ackTimeoutMs = opts.ackTimeoutMs ?? 5000;
    this.restartDelay = this.firstRestartDelay;
  }

  start(): void {
    if (!this.opts.count) return;
    if (!fs.existsSync(this.script)) {
      this.scriptMissing = true;
      this.opts.log(
        `proxy workers: ${this.script} is missing, so this daemon serves every connection itself (rebuild with npm run build)`,
      );
      return;
    }
    if (this.opts.onDemand) return;
    for (let i = 0; i < this.opts.count; i++) this.spawn();
  }

  /**
   * On demand: the daemon is busy, start the workers (every one up to count at once: while they
   * run the daemon takes no connection, so its own load can no longer call for more). No-op at
   * count, while one starts, or after a crash's delay.
   */
  grow(): void {
    if (!this.opts.onDemand || this.closed || this.scriptMissing || Date.now() < this.notBefore) return;
    const live = [...this.workers].filter((w) => !w.retiring);
    if (live.length >= this.opts.count || live.some((w) => !w.ready)) return;
    const n = this.opts.count - live.length;
    this.opts.log(`proxy worker: starting ${n === 1 ? 'one' : n} for the load`);
    for (let i = 0; i < n; i++) this.spawn();
  }

  /** Whether any worker can be handed a connection now. */
  get anyReady(): boolean {
    for (const w of this.workers) if (w.ready) return true;
    return false;
  }

  /** The workers that take connections now. */
  takers(): ConnectionTaker[] {
    const takers: ConnectionTaker[] = [];
    for (const w of this.workers) if (w.ready) takers.push(w.take);
    return takers;
  }

  status(): WorkerStatus {
    const ready = [...this.workers].filter((w) => w.ready);
    return { configured: this.opts.count, ready: ready.length, pids: ready.map((w) => w.child.pid!).filter(Boolean) };
  }

  /** The route table or a container behind it changed: the workers get a new snapshot (once per tick). */
  routesChanged(): void {
    if (this.routesDirty || !this.workers.size) return;
    this.routesDirty = true;
    process.nextTick(() => this.flushRoutes());
  }

  /** The public HTTPS port changed; workers started later get it in their init. */
  setPort(port: number): void {
    if (this.opts.port === port) return;
    this.opts.port = port;
    this.broadcast({ t: 'port', seq: ++this.seq, port });
  }

  /** A certificate was stored, renewed or dropped. */
  certChanged(host: string, cert: CertPem | undefined): void {
    if (!this.workers.size) {
      this.sentCerts.clear();
      return;
    }
    if (cert) {
      if (this.sentCerts.get(host) === cert.certPem) return;
      this.sentCerts.set(host, cert.certPem);
      this.broadcast({ t: 'certs', seq: ++this.seq, set: [cert], remove: [] });
    } else if (this.sentCerts.delete(host)) {
      this.broadcast({ t: 'certs', seq: ++this.seq, set: [], remove: [host] });
    }
  }

  /**
   * Resolves once every ready worker serves what the daemon serves now. Workers still starting
   * need no waiting: their first connection reaches them after every update sent before it.
   */
  sync(): Promise<void> {
    this.flushRoutes();
    const seq = this.seq;
    if (this.lagging(seq).length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push({ seq, resolve });
      // A worker that cannot take an update in seconds is wedged: expose must not hang on it.
      setTimeout(() => {
        for (const w of this.lagging(seq)) {
          this.opts.log(
            `proxy worker ${w.child.pid} did not take an update within ${this.ackTimeoutMs / 1000} s: replacing it`,
          );
          w.child.kill('SIGKILL');
        }
      }, this.ackTimeoutMs).unref();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const exits = [...this.workers].map(
      (w) =>
        new Promise<void>((resolve) => {
          if (w.child.exitCode !== null || w.child.signalCode !== null) return resolve();
          w.child.once('exit', () => resolve());
          // Closing the channel is the worker's cue to exit; a wedged one is killed.
          if (w.child.connected) w.child.disconnect();
          setTimeout(() => w.child.kill('SIGKILL'), 2000).unref();
        }),
    );
    await Promise.all(exits);
    this.workers.clear();
    this.settleWaiters();
  }

  private spawn(): void {
    const certs = this.opts.certs();
    const capture = this.opts.capture;
    const pipe = !!capture && (capture.pipe ?? recordPipeSupported());
    const child = fork(this.script, [], {
      // fd 4: the record pipe (recordPipe.ts), when the inspector records through it.
      stdio: ['ignore', 'inherit', 'inherit', 'ipc', ...(pipe ? (['pipe'] as const) : [])],
      execArgv: workerExecArgv(process.execArgv),
    });
    if (pipe) this.readRecords(child);
    const worker: Worker = {
      child,
      ready: false,
      acked: 0,
      startedAt: Date.now(),
      take: (socket) => this.handOver(worker, socket),
      handed: 0,
      accepted: 0,
      open: 0,
      retiring: false,
    };
    this.workers.add(worker);
    for (const c of certs) this.sentCerts.set(c.host, c.certPem);
    const initSeq = ++this.seq;
    child.on('message', (msg: FromWorker) => this.onMessage(worker, msg, initSeq));
    child.on('error', (err) => this.opts.log(`proxy worker: ${errorMessage(err)}`));
    child.on('exit', (code, signal) => this.onExit(worker, code, signal));
    // The channel closes before the exit is reported: from then on no connection may go there.
    child.on('disconnect', () => {
      worker.ready = false;
      this.settleWaiters();
    });
    this.send(worker, {
      t: 'init',
      seq: initSeq,
      port: this.opts.port,
      backendTimeoutMs: this.opts.backendTimeoutMs,
      timeouts: this.opts.timeouts,
      defaultCert: this.opts.defaultCert,
      routes: this.opts.routes(),
      certs,
      capture: capture && { bodyBytes: capture.bodyBytes, pipe },
    });
  }

  private readRecords(child: ChildProcess): void {
    const records = child.stdio[RECORD_PIPE_FD] as Readable;
    const reader = new RecordFrameReader(
      (r) => this.opts.capture?.onRecords(r),
      (why) => {
        this.opts.log(`proxy worker ${child.pid}: ${why} on its record pipe; its records are no longer read`);
        records.destroy();
      },
    );
    records.on('data', (chunk: Buffer) => reader.push(chunk));
    // Closed with the worker; an error here leaves the worker serving, only without records.
    records.on('error', (err) => this.opts.log(`proxy worker ${child.pid}: record pipe: ${errorMessage(err)}`));
  }

  private onMessage(worker: Worker, msg: FromWorker, initSeq: number): void {
    switch (msg.t) {
      case 'ack':
        worker.acked = Math.max(worker.acked, msg.seq);
        if (!worker.ready && msg.seq >= initSeq) {
          worker.ready = true;
          this.restartDelay = this.firstRestartDelay;
          this.opts.log(`proxy worker ${worker.child.pid} serving`);
          this.watchQuiet(worker);
          this.opts.onReady?.();
        }
        this.settleWaiters();
        return;
      case 'log':
        this.opts.log(msg.line);
        return;
      case 'conns':
        worker.accepted = msg.accepted;
        worker.open = msg.open;
        this.watchQuiet(worker);
        return;
      case 'capture':
        this.opts.capture?.onRecords(recordsFromWire(msg.records));
        return;
      case 'fallback':
        this.opts.fallback(msg.host).then(
          (cert) => this.send(worker, { t: 'fallback', id: msg.id, cert }),
          () => this.send(worker, { t: 'fallback', id: msg.id }),
        );
        return;
    }
  }

  private onExit(worker: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    this.workers.delete(worker);
    clearTimeout(worker.quietTimer);
    this.settleWaiters();
    if (worker.retiring && !this.closed && this.workers.size === 0) this.opts.onIdle?.();
    if (this.closed || worker.retiring) return;
    const lived = Date.now() - worker.startedAt;
    const delay = this.restartDelay;
    // A worker that dies right after starting would otherwise be restarted in a tight loop.
    this.restartDelay = lived < 10_000 ? Math.min(delay * 2, this.maxRestartDelay) : this.firstRestartDelay;
    if (this.opts.onDemand) {
      // Started again by the next sign of load, not before the delay.
      this.notBefore = Date.now() + delay;
      this.opts.log(
        `proxy worker ${worker.child.pid} exited (${signal ?? `code ${code}`}); its open connections were dropped. This daemon serves every connection until the load calls for a worker again (in ${delay / 1000} s at the earliest).`,
      );
      return;
    }
    this.opts.log(
      `proxy worker ${worker.child.pid} exited (${signal ?? `code ${code}`}); its open connections were dropped. This daemon serves every connection until a new worker starts in ${delay / 1000} s.`,
    );
    setTimeout(() => {
      if (!this.closed) this.spawn();
    }, delay).unref();
  }

  /**
   * On demand: a worker that serves no connection, with none on its way, is stopped after the
   * quiet period. Any hand-over in between resets the watch (the worker reports again once its
   * last connection closes).
   */
  private watchQuiet(worker: Worker): void {
    clearTimeout(worker.quietTimer);
    worker.quietTimer = undefined;
    if (!this.opts.onDemand || !worker.ready || worker.open > 0 || worker.accepted !== worker.handed) return;
    const handed = worker.handed;
    worker.quietTimer = setTimeout(() => {
      if (worker.handed !== handed || worker.open > 0 || !worker.ready || this.closed) return;
      // Out of the takers first: from here on no connection can be handed to it.
      worker.ready = false;
      worker.retiring = true;
      this.opts.log(
        `proxy worker ${worker.child.pid}: no connections for ${this.opts.onDemand!.quietMs / 1000} s, stopping it`,
      );
      if (worker.child.connected) worker.child.disconnect();
      setTimeout(() => worker.child.kill('SIGKILL'), 2000).unref();
      this.settleWaiters();
    }, this.opts.onDemand.quietMs);
    worker.quietTimer.unref();
  }

  private handOver(worker: Worker, socket: net.Socket): void {
    if (!worker.child.connected) {
      socket.destroy();
      return;
    }
    worker.handed++;
    if (worker.quietTimer) {
      clearTimeout(worker.quietTimer);
      worker.quietTimer = undefined;
    }
    worker.child.send({ t: 'conn' } satisfies ToWorker, socket, (err) => {
      if (err) socket.destroy();
    });
  }

  private flushRoutes(): void {
    if (!this.routesDirty) return;
    this.routesDirty = false;
    if (this.workers.size) this.broadcast({ t: 'routes', seq: ++this.seq, routes: this.opts.routes() });
  }

  private broadcast(msg: ToWorker): void {
    for (const w of this.workers) this.send(w, msg);
  }

  private send(worker: Worker, msg: ToWorker): void {
    if (!worker.child.connected) return;
    worker.child.send(msg, (err) => {
      // The worker is going away; its exit handler restarts it with the whole state.
      if (err) worker.child.kill('SIGKILL');
    });
  }

  private lagging(seq: number): Worker[] {
    return [...this.workers].filter((w) => w.ready && w.acked < seq);
  }

  private settleWaiters(): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (this.lagging(this.waiters[i].seq).length) continue;
      this.waiters[i].resolve();
      this.waiters.splice(i, 1);
    }
  }
}

const TEST_FLAGS_WITH_VALUE = new Set([
  '--test-name-pattern',
  '--test-skip-pattern',
  '--test-reporter',
  '--test-reporter-destination',
  '--test-concurrency',
  '--test-shard',
  '--test-timeout',
]);

/**
 * The daemon's Node flags, minus those that must not reach a worker: the test runner's and the
 * inspector's would clash in a second process, and code given with -e/-p would run again in
 * every worker (which, if it starts a daemon, forks workers of its own, without end).
 */
export function workerExecArgv(execArgv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i];
    if (a === '-e' || a === '--eval' || a === '-p' || a === '--print') {
      i++;
      continue;
    }
    // The test runner's flags that take their value as the next argument (`--test-name-pattern X`).
    if (TEST_FLAGS_WITH_VALUE.has(a)) {
      i++;
      continue;
    }
    if (/^(--eval|--print)=/.test(a) || a.startsWith('--test') || a.startsWith('--inspect')) continue;
    out.push(a);
  }
  return out;
}

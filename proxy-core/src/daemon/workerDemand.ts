import type * as net from 'node:net';
import { EventLoopUtilization, performance } from 'node:perf_hooks';

export interface WorkerDemandOptions {
  /** Called when the daemon's own proxy needs help (WorkerPool.grow). */
  grow: () => void;
  /** This many connections open at once in the daemon start a worker straight away (default 16). */
  connections?: number;
  /** Share of the event loop busy over one sample (0..1) that starts a worker (default 0.5). */
  busy?: number;
  /** Sample length while two or more connections are open (default 500 ms). */
  sampleMs?: number;
}

/**
 * When to start an on-demand worker, judged from the connections the daemon serves itself: many
 * at once, or a busy event loop while at least two are open (a worker serves other connections,
 * never the same one, so one busy connection gains nothing from it). Nothing runs while fewer
 * than two connections are open: an idle daemon has no timer for this.
 *
 * "Two are open" must hold for at least half of the sample. A client that opens its next
 * connection a moment before the last one closes (a benchmark's second run, a browser's reload)
 * has two open for a few milliseconds; counting that started a worker for one busy connection,
 * and the start, on a second core, landed in that connection's latency (docs/performance.md,
 * "Tenth pass").
 */
export class WorkerDemand {
  private open = 0;
  private timer?: NodeJS.Timeout;
  private last?: EventLoopUtilization;
  private readonly connections: number;
  private readonly busy: number;
  private readonly sampleMs: number;
  /** When `open` last reached two, while it is two or more. */
  private manySince?: number;
  /** Time with two or more open in the current sample, ms (up to `manySince`). */
  private manyMs = 0;

  constructor(private readonly opts: WorkerDemandOptions) {
    this.connections = opts.connections ?? 16;
    this.busy = opts.busy ?? 0.5;
    this.sampleMs = opts.sampleMs ?? 500;
  }

  /** A connection the daemon serves itself (not one handed to a worker). */
  opened(socket: net.Socket): void {
    this.open++;
    socket.once('close', () => {
      this.open--;
      if (this.open === 1 && this.manySince !== undefined) {
        this.manyMs += performance.now() - this.manySince;
        this.manySince = undefined;
      }
    });
    if (this.open >= this.connections) this.opts.grow();
    if (this.open === 2) this.manySince = performance.now();
    if (this.open >= 2 && !this.timer) {
      this.last = performance.eventLoopUtilization();
      this.manyMs = 0;
      this.timer = setInterval(() => this.sample(), this.sampleMs);
      this.timer.unref();
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private sample(): void {
    const now = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(now, this.last);
    this.last = now;
    const at = performance.now();
    let many = this.manyMs;
    if (this.manySince !== undefined) {
      many += at - this.manySince;
      this.manySince = at;
    }
    this.manyMs = 0;
    if (utilization >= this.busy && many * 2 >= this.sampleMs) this.opts.grow();
    if (this.open < 2) this.close();
  }
}

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
 */
export class WorkerDemand {
  private open = 0;
  private timer?: NodeJS.Timeout;
  private last?: EventLoopUtilization;
  private readonly connections: number;
  private readonly busy: number;
  private readonly sampleMs: number;

  constructor(private readonly opts: WorkerDemandOptions) {
    this.connections = opts.connections ?? 16;
    this.busy = opts.busy ?? 0.5;
    this.sampleMs = opts.sampleMs ?? 500;
  }

  /** A connection the daemon serves itself (not one handed to a worker). */
  opened(socket: net.Socket): void {
    this.open++;
    socket.once('close', () => this.open--);
    if (this.open >= this.connections) this.opts.grow();
    if (this.open >= 2 && !this.timer) {
      this.last = performance.eventLoopUtilization();
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
    if (utilization >= this.busy) this.opts.grow();
    if (this.open < 2) this.close();
  }
}

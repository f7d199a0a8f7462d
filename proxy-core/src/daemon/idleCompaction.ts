import type * as net from 'node:net';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';

export interface IdleCompactionOptions {
  /** How long the daemon must have had no connection before its heap is compacted (default 30 s, as a worker's stop). */
  quietMs?: number;
  /** Free space in the heap that is worth a collection (default 8 MB). */
  slackBytes?: number;
  /** How long after start() an idle daemon is compacted once (default 10 s). */
  startQuietMs?: number;
  /** How long after loadEnded() the daemon is compacted, unless a connection is open (default 1 s). */
  afterLoadMs?: number;
  /** The collector (tests pass their own); default V8's full collection. */
  collect?: () => void;
  /**
   * Gives glibc's free pages back after each compaction (daemon/nativeHeap.ts): whether there
   * were any, undefined when it could not run. None: not done.
   */
  trimNative?: () => boolean | undefined;
  /** Told of each compaction. */
  compacted?: (c: Compaction) => void;
}

export type CompactionReason = 'start' | 'quiet' | 'load';

export interface Compaction {
  why: CompactionReason;
  /** Whether V8's heap was collected (a quiet period with little free heap only trims). */
  collected: boolean;
  /** V8's heap, bytes, before and after. */
  heapBefore: number;
  heapAfter: number;
  /** Whether the native heap had free pages to give back (undefined: it was not trimmed). */
  trimmed?: boolean;
  /** The process's resident memory, bytes, before and after. */
  rssBefore: number;
  rssAfter: number;
}

/**
 * A full garbage collection once the proxy has gone quiet after serving many connections. V8
 * keeps the heap it grew for a burst (2000 connections: 61 MB of heap, 26 MB after one full
 * collection, docs/performance.md "Footprint"), and its own idle heuristics did not give it back
 * within minutes. Nothing runs while connections are open, nor while the daemon stays idle: the
 * timer is armed when the last connection closes, and the collection runs only when the heap
 * holds more than `slackBytes` it does not use.
 *
 * Once, too, shortly after start: starting (the route table, Docker's container list, the
 * first certificates) grows V8's young generation to 8 MB, which it kept for as long as the
 * daemon then stayed idle; one full collection gives back about 7 MB of the idle daemon's 78
 * (docs/performance.md, "Fourth pass"). It runs whatever the slack, also after connections that
 * have closed by then (`expose` checks its route with one), and not if one is open then: the
 * quiet period after the last one takes over.
 *
 * And once the on-demand workers that served a load have stopped (loadEnded()): the daemon served
 * none of its connections, but received every request's record from the workers for the request
 * inspector, and kept 9–10 MB of heap it no longer used (docs/performance.md, "Seventh pass").
 * Whatever the slack, as after start: the workers stop only after their own quiet period.
 *
 * Each time, and at every quiet period even with little free heap, glibc's malloc is then made
 * to give back the pages it holds free (`trimNative`): what V8 frees goes back to malloc, not to
 * the system, and a 64 MB transfer left 20-35 MB there that free() never returned
 * (docs/performance.md, "Eleventh pass").
 */
export class IdleCompaction {
  private open = 0;
  private timer?: NodeJS.Timeout;
  private startTimer?: NodeJS.Timeout;
  private loadTimer?: NodeJS.Timeout;
  readonly quietMs: number;
  private readonly slackBytes: number;
  private collector?: () => void;

  constructor(private readonly opts: IdleCompactionOptions = {}) {
    this.quietMs = opts.quietMs ?? 30_000;
    this.slackBytes = opts.slackBytes ?? 8 * 1024 * 1024;
    this.collector = opts.collect;
  }

  /** The daemon is up: compact once after startQuietMs unless a connection is open then. */
  start(): void {
    this.startTimer = setTimeout(() => {
      this.startTimer = undefined;
      if (this.open > 0) return;
      this.compactNow('start');
    }, this.opts.startQuietMs ?? 10_000);
    this.startTimer.unref();
  }

  /** The workers that served a load have stopped: compact shortly, unless a connection is open then. */
  loadEnded(): void {
    clearTimeout(this.loadTimer);
    this.loadTimer = setTimeout(() => {
      this.loadTimer = undefined;
      if (this.open === 0) this.compactNow('load');
    }, this.opts.afterLoadMs ?? 1000);
    this.loadTimer.unref();
  }

  /** A connection the daemon serves itself. */
  opened(socket: net.Socket): void {
    this.open++;
    socket.once('close', () => {
      if (--this.open === 0) this.arm();
    });
  }

  close(): void {
    clearTimeout(this.timer);
    clearTimeout(this.startTimer);
    clearTimeout(this.loadTimer);
    this.timer = undefined;
    this.startTimer = undefined;
    this.loadTimer = undefined;
  }

  private arm(): void {
    if (this.timer) this.timer.refresh();
    else {
      this.timer = setTimeout(() => this.quiet(), this.quietMs);
      this.timer.unref();
    }
  }

  private quiet(): void {
    this.timer = undefined;
    if (this.open > 0) return;
    const heap = v8.getHeapStatistics();
    const collect = heap.total_heap_size - heap.used_heap_size >= this.slackBytes;
    if (collect || this.opts.trimNative) this.compactNow('quiet', collect);
  }

  private compactNow(why: CompactionReason, collect = true): void {
    const rssBefore = process.memoryUsage.rss();
    const heapBefore = v8.getHeapStatistics().total_heap_size;
    if (collect) this.collect();
    const trimmed = this.opts.trimNative?.();
    this.opts.compacted?.({
      why,
      collected: collect,
      heapBefore,
      heapAfter: v8.getHeapStatistics().total_heap_size,
      trimmed,
      rssBefore,
      rssAfter: process.memoryUsage.rss(),
    });
  }

  private collect(): void {
    // V8's collector is reachable from JavaScript only with --expose-gc; setting the flag now makes
    // it available in a new context, so the daemon needs no flag on its command line (the editor
    // starts it through Electron, a user from a terminal).
    if (!this.collector) {
      v8.setFlagsFromString('--expose-gc');
      this.collector = vm.runInNewContext('gc') as () => void;
    }
    this.collector();
  }
}

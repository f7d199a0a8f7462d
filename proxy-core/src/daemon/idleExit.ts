import type { ServerResponse } from 'node:http';

/**
 * Stops a daemon the editor started once no window has listened to its events for a while
 * (containerHttps.proxy.keepRunning off). Event streams stand for open windows: the last one to
 * close starts the clock, a new one stops it.
 */
export class IdleExit {
  private clients = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly ms: number | undefined,
    private readonly onIdle: (ms: number) => void,
  ) {}

  /** Counts an event stream until it closes. */
  track(res: ServerResponse): void {
    this.clients++;
    clearTimeout(this.timer);
    res.on('close', () => {
      this.clients--;
      this.arm();
    });
  }

  /** Starts the clock if nobody listens (also at start: a window that died before connecting). */
  arm(): void {
    const ms = this.ms;
    if (ms === undefined || this.clients > 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.clients === 0) this.onIdle(ms);
    }, ms);
    this.timer.unref?.();
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}

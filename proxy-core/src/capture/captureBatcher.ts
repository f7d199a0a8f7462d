import type { StoredRecord } from './types';

/**
 * A worker's records on their way to the daemon: gathered for a moment and sent in one IPC
 * message, so a request never waits for the channel and the daemon's loop is woken per batch,
 * not per request.
 */
export class CaptureBatcher {
  private pending: StoredRecord[] = [];
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly send: (records: StoredRecord[]) => void,
    private readonly everyMs = 100,
    private readonly maxBatch = 200,
  ) {}

  publish(record: StoredRecord): void {
    this.pending.push(record);
    if (this.pending.length >= this.maxBatch) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.everyMs);
      this.timer.unref();
    }
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.pending.length) return;
    const batch = this.pending;
    this.pending = [];
    this.send(batch);
  }
}

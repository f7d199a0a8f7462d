import type * as http from 'node:http';
import type { DaemonEvents } from './protocol';

/**
 * A Server-Sent Events stream: one `event:`/`data:` block per message, comments as heartbeats.
 * `Events` maps each event's name to its payload: the control API's, declared in protocol.ts.
 */
export class SseStream<Events = DaemonEvents> {
  private readonly heartbeat: NodeJS.Timeout;

  constructor(private readonly res: http.ServerResponse) {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(': connected\n\n');
    this.heartbeat = setInterval(() => res.write(': ping\n\n'), 15_000);
    this.heartbeat.unref();
    res.on('close', () => clearInterval(this.heartbeat));
  }

  send<E extends keyof Events & string>(event: E, data: Events[E]): void {
    this.res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  close(): void {
    clearInterval(this.heartbeat);
    this.res.end();
  }
}

/** Parses an SSE byte stream into events; used by the control client. */
export class SseParser {
  private buffer = '';

  constructor(private readonly onEvent: (event: string, data: unknown) => void) {}

  push(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) !== -1) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      if (!data.length) continue;
      try {
        this.onEvent(event, JSON.parse(data.join('\n')));
      } catch {
        this.onEvent(event, data.join('\n'));
      }
    }
  }
}

import * as http from 'node:http';
import { UserError } from '../errors';
import { currentUid, statePaths } from '../paths';
import { assertOwnSocket } from './socketOwner';
import { SseParser } from './sse';
import {
  Events,
  Status,
  endpointPath,
  type CallArgs,
  type DaemonEventArgs,
  type DaemonEventName,
  type Endpoint,
  type PathParams,
} from './protocol';

export interface ApiErrorBody {
  error: { code: string; message: string };
}

/**
 * The client side of the control API, shared by the CLI and the editor extension, so both speak
 * to the daemon the same way.
 */
export class ControlClient {
  readonly socketPath: string;
  private readonly socketDir: string | undefined;

  constructor(readonly stateDir: string) {
    ({ socket: this.socketPath, socketDir: this.socketDir } = statePaths(stateDir));
  }

  /** Throws when the socket belongs to another user (control/socketOwner.ts); checked before every connection. */
  private checkSocket(): void {
    assertOwnSocket(this.socketPath, this.socketDir, currentUid());
  }

  async request<T>(method: string, path: string, body?: unknown, timeoutMs = 120_000): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      try {
        this.checkSocket();
      } catch (err) {
        return reject(err);
      }
      const req = http.request(
        {
          socketPath: this.socketPath,
          path,
          method,
          headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {},
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let data: unknown;
            try {
              data = text ? JSON.parse(text) : undefined;
            } catch {
              return reject(
                new Error(
                  `The daemon answered ${method} ${path} with something that is not JSON (HTTP ${res.statusCode}).`,
                ),
              );
            }
            if ((res.statusCode ?? 500) >= 400) {
              const e = (data as ApiErrorBody | undefined)?.error;
              return reject(new UserError(e?.message ?? `HTTP ${res.statusCode}`, e?.code ?? 'EAPI', res.statusCode));
            }
            resolve(data as T);
          });
        },
      );
      req.on('timeout', () =>
        req.destroy(new Error(`The daemon did not answer ${method} ${path} within ${Math.round(timeoutMs / 1000)} s.`)),
      );
      req.on('error', (err: NodeJS.ErrnoException) => reject(this.connectionError(err)));
      req.end(payload);
    });
  }

  /**
   * Calls one endpoint of control/protocol.ts, which types its path parameters, body and answer
   * (`request` is the same by method and path, untyped).
   */
  call<Req, Res, Params extends PathParams | undefined>(
    ep: Endpoint<Req, Res, Params>,
    ...[options]: NoInfer<CallArgs<Req, Params>>
  ): Promise<Res> {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(options?.query ?? {})) if (v !== undefined) query.set(k, v);
    const path = endpointPath(ep, options?.params) + (query.size ? `?${query}` : '');
    return this.request<Res>(ep.method, path, options?.body, options?.timeoutMs);
  }

  /** True when a daemon answers on this state dir's socket. */
  async isRunning(): Promise<boolean> {
    try {
      await this.call(Status, { timeoutMs: 3000 });
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Subscribes to the daemon's events. Returns a function that unsubscribes. `onClose` fires when
   * the stream ends (daemon stopped or restarted); reconnecting is the caller's choice. The daemon
   * sends the events of DaemonEvents (control/protocol.ts): a handler of `(event, data)` gets the
   * payload typed by the event's name.
   */
  subscribe(
    onEvent: (...event: DaemonEventArgs) => void,
    onClose?: (err?: Error) => void,
    options?: SubscribeOptions,
  ): () => void;
  /** For a handler that needs only the events' names. */
  subscribe(
    onEvent: (event: DaemonEventName) => void,
    onClose?: (err?: Error) => void,
    options?: SubscribeOptions,
  ): () => void;
  subscribe(
    onEvent: ((...event: DaemonEventArgs) => void) | ((event: DaemonEventName) => void),
    onClose?: (err?: Error) => void,
    options?: SubscribeOptions,
  ): () => void {
    const parser = new SseParser(onEvent as (event: string, data: unknown) => void);
    let closed = false;
    try {
      this.checkSocket();
    } catch (err) {
      setImmediate(() => !closed && onClose?.(err as Error));
      return () => (closed = true);
    }
    const requests = options?.requests === 'errors' ? 'errors' : options?.requests ? '1' : undefined;
    const path = requests ? `${Events.path}?requests=${requests}` : Events.path;
    const req = http.request({ socketPath: this.socketPath, path, method: Events.method }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => parser.push(chunk));
      res.on('end', () => !closed && onClose?.());
      res.on('error', (err) => !closed && onClose?.(err));
    });
    req.on('error', (err: NodeJS.ErrnoException) => !closed && onClose?.(this.connectionError(err)));
    req.end();
    return () => {
      closed = true;
      req.destroy();
    };
  }

  private connectionError(err: NodeJS.ErrnoException): Error {
    if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') {
      return new UserError(
        `No Container HTTPS daemon is running for state dir ${this.stateDir}. Start one with: container-https serve${this.stateDir ? ` --state-dir ${this.stateDir}` : ''}`,
        'ENODAEMON',
        503,
      );
    }
    return err;
  }
}

export interface SubscribeOptions {
  /** Also the request inspector's `request` events: one per recorded request, or (`errors`) per 5xx or upstream failure. */
  requests?: boolean | 'errors';
}

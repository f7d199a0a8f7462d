import * as fs from 'node:fs';
import * as http from 'node:http';
import { UserError, errorMessage, isUserError } from '../errors';
import type { DaemonEvents, Endpoint, PathParams } from './protocol';
import { SseStream } from './sse';

export interface ControlRequest {
  method: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  raw: http.IncomingMessage;
  res: http.ServerResponse;
}

/** A handler returns JSON, or `undefined` when it has answered by itself (SSE). */
export type ControlHandler = (req: ControlRequest) => Promise<unknown> | unknown;

interface RouteDef {
  method: string;
  pattern: RegExp;
  keys: string[];
  handler: ControlHandler;
}

const MAX_BODY = 1 << 20;

/**
 * HTTP/1.1 + JSON over a unix socket (a named pipe on Windows). The socket's file mode is the
 * authentication, so no TCP port is ever opened for control.
 */
export class ControlServer {
  private readonly routes: RouteDef[] = [];
  private readonly server: http.Server;
  private readonly streams = new Set<SseStream>();

  private gate: Promise<void> = Promise.resolve();

  constructor(private readonly socketPath: string) {
    this.server = http.createServer((req, res) => void this.dispatch(req, res));
  }

  /** Registers `METHOD /v1/things/:name`. */
  on(method: string, path: string, handler: ControlHandler): void {
    const keys: string[] = [];
    const pattern = new RegExp(
      '^' + path.replace(/:([a-zA-Z]+)/g, (_, key: string) => (keys.push(key), '([^/]+)')) + '$',
    );
    this.routes.push({ method, pattern, keys, handler });
  }

  /** Registers one endpoint of control/protocol.ts; the handler answers with its declared type (`undefined`: it answered by itself, as SSE does). */
  handle<Req, Res, Params extends PathParams | undefined>(
    ep: Endpoint<Req, Res, Params>,
    handler: (req: ControlRequest) => NoInfer<Res> | undefined | Promise<NoInfer<Res> | undefined>,
  ): void {
    this.on(ep.method, ep.path, handler);
  }

  /**
   * Requests that arrive before `ready` settles wait for it: the daemon opens the socket before
   * its HTTPS port (daemon/daemon.ts), while it is still starting. A rejection answers 503 with
   * the reason the daemon could not start.
   */
  holdUntil(ready: Promise<void>): void {
    ready.catch(() => undefined);
    this.gate = ready;
  }

  openStream(res: http.ServerResponse): SseStream {
    const stream = new SseStream(res);
    this.streams.add(stream);
    res.on('close', () => this.streams.delete(stream));
    return stream;
  }

  broadcast<E extends keyof DaemonEvents>(event: E, data: DaemonEvents[E]): void {
    for (const stream of this.streams) stream.send(event, data);
  }

  async listen(): Promise<void> {
    if (process.platform !== 'win32') fs.rmSync(this.socketPath, { force: true });
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      // Create the socket with no access for group/others from the first instant.
      const oldMask = process.umask(0o177);
      this.server.listen(this.socketPath, () => {
        process.umask(oldMask);
        this.server.removeListener('error', reject);
        resolve();
      });
    });
    if (process.platform !== 'win32') fs.chmodSync(this.socketPath, 0o600);
  }

  async close(): Promise<void> {
    for (const stream of this.streams) stream.close();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    if (process.platform !== 'win32') fs.rmSync(this.socketPath, { force: true });
  }

  /**
   * Every request gets an answer: URL parsing, parameter decoding, the body and the handler all
   * fail inside the one try below (a throw outside it used to leave the client waiting forever).
   */
  private async dispatch(raw: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    try {
      await this.gate;
    } catch (err) {
      return sendJson(res, 503, {
        error: { code: 'ENOTSTARTED', message: `The daemon could not start: ${errorMessage(err)}` },
      });
    }
    const method = raw.method ?? 'GET';
    try {
      const url = new URL(raw.url ?? '/', 'http://control');
      const found = this.match(method, url.pathname);
      if (!found.route) {
        const status = found.allowed ? 405 : 404;
        return sendJson(res, status, {
          error: {
            code: found.allowed ? 'EMETHOD' : 'ENOTFOUND',
            message: `${method} ${url.pathname} is not part of the control API`,
          },
        });
      }
      const body = await readJson(raw);
      const result = await found.route.handler({
        method,
        params: found.params,
        query: url.searchParams,
        body,
        raw,
        res,
      });
      if (result !== undefined && !res.headersSent) sendJson(res, 200, result);
    } catch (err) {
      if (res.headersSent) return void res.end();
      if (isUserError(err)) sendJson(res, err.status, { error: { code: err.code, message: err.message } });
      else
        sendJson(res, 500, {
          error: { code: 'EINTERNAL', message: `Internal error in the daemon: ${errorMessage(err)} (see daemon.log)` },
        });
    }
  }

  /** The route for METHOD PATH with its decoded parameters; `allowed` when only the method differs. */
  private match(
    method: string,
    pathname: string,
  ): { route?: RouteDef; params: Record<string, string>; allowed: boolean } {
    let allowed = false;
    for (const route of this.routes) {
      const match = route.pattern.exec(pathname);
      if (!match) continue;
      allowed = true;
      if (route.method !== method) continue;
      const params: Record<string, string> = {};
      route.keys.forEach((key, i) => (params[key] = decodeParam(key, match[i + 1])));
      return { route, params, allowed };
    }
    return { params: {}, allowed };
  }
}

function decodeParam(key: string, text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new UserError(
      `The ${key} "${text}" in the path is not valid percent-encoding (a % must start %XX of UTF-8): encode it with encodeURIComponent.`,
      'EPATH',
    );
  }
}

function sendJson(res: http.ServerResponse, status: number, data: unknown): void {
  const body = JSON.stringify(data);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  if (req.method === 'GET' || req.method === 'HEAD') return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new UserError('Request body too large (limit 1 MiB).', 'EBODY', 413);
    chunks.push(chunk as Buffer);
  }
  if (!size) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new UserError('Request body is not valid JSON.', 'EBODY');
  }
}

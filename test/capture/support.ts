import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { ControlClient } from '../../proxy-core/src/control/controlClient';
import { RequestDetail, Requests } from '../../proxy-core/src/control/protocol';
import type { CaptureRecord, CaptureSummary } from '../../proxy-core/src/control/apiTypes';
import { until } from '../support/wait';

/** Requests the daemon recorded, newest first, once at least `n` are there (workers send theirs in batches). */
export async function recorded(
  client: ControlClient,
  n: number,
  query: Record<string, string> = {},
): Promise<CaptureSummary[]> {
  return until(`${n} recorded requests`, async () => {
    const { requests } = await client.call(Requests, { query });
    return requests.length >= n && requests;
  });
}

export async function detail(client: ControlClient, id: string, secrets = false): Promise<CaptureRecord> {
  const { request } = await client.call(RequestDetail, { params: { id }, query: secrets ? { secrets: '1' } : {} });
  return request;
}

/** An HTTPS request through the proxy, verified against our CA, with an optional body (string or Buffer). */
export function send(opts: {
  port: number;
  host: string;
  ca: string;
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}): Promise<{ status: number; body: Buffer; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: opts.port,
        servername: opts.host,
        ca: opts.ca,
        agent: false,
        method: opts.method ?? 'GET',
        path: opts.path ?? '/',
        headers: { host: `${opts.host}:${opts.port}`, ...opts.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** A backend that answers every request with what it is told, and counts what it received. */
export async function startScriptedBackend(
  answer: (req: http.IncomingMessage, body: Buffer, res: http.ServerResponse) => void,
): Promise<{
  url: string;
  received: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: Buffer }>;
  close: () => Promise<void>;
}> {
  const received: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: Buffer }> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      answer(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

import type * as http from 'node:http';
import type { AnyRequest, AnyResponse, Exchange } from './types';

/** A new exchange for `req`: `headers` are the upstream-bound ones (HTTP/1.1 shape, forwarding headers set). */
export function createExchange(init: {
  req: AnyRequest;
  res: AnyResponse;
  headers: http.IncomingHttpHeaders;
  url: string;
  scheme: 'https' | 'http';
  host: string;
  clientIp: string;
}): Exchange {
  return { ...init, onResponse: [] };
}

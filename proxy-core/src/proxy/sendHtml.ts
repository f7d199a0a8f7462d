import type * as http from 'node:http';
import type * as http2 from 'node:http2';

/** The proxy's own pages (404, 502, the demo…) over HTTP/1.1 or HTTP/2 alike; never cached. */
export function sendHtml(
  res: http.ServerResponse | http2.Http2ServerResponse,
  status: number,
  html: string,
  extra: Record<string, string> = {},
): void {
  const body = Buffer.from(html);
  (res as http.ServerResponse).writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': String(body.length),
    'cache-control': 'no-store',
    ...extra,
  });
  res.end(body);
}

import type * as http from 'node:http';
import type * as http2 from 'node:http2';
import type { Transform } from 'node:stream';

export type AnyRequest = http.IncomingMessage | http2.Http2ServerRequest;
export type AnyResponse = http.ServerResponse | http2.Http2ServerResponse;

/**
 * One middleware as a route carries it: plain data, so it crosses to proxy workers. `type` is
 * Traefik's name (`stripPrefix`, `basicAuth`…) and `options` its options with Traefik's names
 * (`{ prefixes: ['/api'] }`). Chains are already flattened by the route model.
 */
export interface MiddlewareSpec {
  /** Qualified name, for people and errors: `auth@docker`, `secure@file`. */
  name: string;
  type: string;
  options: Record<string, unknown>;
}

/** The upstream's response headers, lower-case names, as a middleware may edit them. */
export type ResponseHeaderMap = Record<string, string | string[]>;

/**
 * One request on its way through a router's middlewares to the service. Middlewares edit the
 * upstream-bound `headers` and `url`, register response hooks, or answer the client themselves.
 */
export interface Exchange {
  readonly req: AnyRequest;
  readonly res: AnyResponse;
  /** Headers for the upstream request (HTTP/1.1 shape, lower-case names). */
  headers: http.IncomingHttpHeaders;
  /** Path and query sent upstream ('/api/x?y=1'); starts as the client's (cleaned) path. */
  url: string;
  /** The scheme the client used with us. */
  readonly scheme: 'https' | 'http';
  /** The request's host as the client sent it, without port, lower case. */
  readonly host: string;
  /** The client connection's address (no X-Forwarded-For). */
  readonly clientIp: string;
  /**
   * Run on the upstream's status and headers before they reach the client, and on a
   * middleware's own answer: last registered first, since in Traefik each middleware wraps the
   * ones after it (runResponseHooks in respond.ts).
   */
  readonly onResponse: Array<(status: number, headers: ResponseHeaderMap) => void>;
  /**
   * Set by a middleware that re-encodes the body (compress): given the final status and headers
   * (editable), returns a stream the body is written through, or undefined to leave it alone.
   */
  bodyTransform?: (status: number, headers: ResponseHeaderMap) => Transform | undefined;
}

/**
 * true: go on to the next middleware (and finally the service). false: the middleware has
 * answered the client itself (a redirect, a 401) and nothing else runs.
 */
export type Middleware = (exchange: Exchange) => boolean | Promise<boolean>;

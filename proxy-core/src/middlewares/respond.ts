import * as http from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { Exchange, ResponseHeaderMap } from './types';

export type ResponseHook = (status: number, headers: ResponseHeaderMap) => void;

/**
 * Runs a router's response hooks, last registered first: in Traefik each middleware wraps the
 * ones after it, so the innermost edits the response first and the first middleware has the
 * last word (its customResponseHeaders win over a later one's).
 */
export function runResponseHooks(hooks: readonly ResponseHook[], status: number, headers: ResponseHeaderMap): void {
  for (let i = hooks.length - 1; i >= 0; i--) hooks[i](status, headers);
}

/**
 * A middleware's own answer (a redirect, a 401, a CORS preflight). It goes through the hooks of
 * the middlewares before it, as in Traefik, where such an answer is written through their
 * response writers. Returns false, what a middleware that answered returns.
 */
export function reply(ex: Exchange, status: number, headers: ResponseHeaderMap = {}, body?: string): false {
  const bytes = body === undefined ? undefined : Buffer.from(body);
  if (bytes) headers['content-type'] ??= 'text/plain; charset=utf-8';
  headers['content-length'] = String(bytes?.length ?? 0);
  runResponseHooks(ex.onResponse, status, headers);
  // An upload nobody will read is drained, so the connection can serve the next request.
  if (!ex.req.readableEnded) ex.req.resume();
  (ex.res as http.ServerResponse).writeHead(status, headers);
  if (bytes) ex.res.end(bytes);
  else ex.res.end();
  return false;
}

/** Go's http.StatusText, which Traefik's middlewares send as the body of their answers. */
export function statusText(status: number): string {
  return http.STATUS_CODES[status] ?? '';
}

/** Adds a value to a header as Go's Header.Add does: a repeated header, not a replaced one. */
export function addHeader(headers: ResponseHeaderMap | IncomingHttpHeaders, name: string, value: string): void {
  const seen = headers[name];
  if (seen === undefined) headers[name] = value;
  else if (Array.isArray(seen)) seen.push(value);
  else headers[name] = [seen, value];
}

/** The first value of a header, as Go's Header.Get reads it. */
export function firstHeader(headers: ResponseHeaderMap | IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

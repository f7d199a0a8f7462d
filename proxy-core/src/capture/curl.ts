import { shellQuote } from '../shellQuote';
import type { CaptureRecord } from './types';

/** Headers curl sets itself from the URL and the body, or that describe the original connection. */
const LEFT_OUT = new Set(['host', 'content-length', 'connection', 'keep-alive', 'transfer-encoding', 'te', 'upgrade']);

/**
 * The request as a curl command line (the editor's Copy as cURL): the route's URL, method,
 * headers and the captured body. `--resolve` sends it to this proxy whatever the name resolves
 * to; `--cacert` trusts our CA without trusting it system-wide.
 */
export function toCurl(r: CaptureRecord, to: { port: number; caFile: string }): string {
  const authority = to.port === 443 ? r.host : `${r.host}:${to.port}`;
  const parts = ['curl', '--cacert', shellQuote(to.caFile), '--resolve', `${r.host}:${to.port}:127.0.0.1`];
  if (r.method !== 'GET') parts.push('-X', shellQuote(r.method));
  parts.push(shellQuote(`https://${authority}${r.url}`));
  for (const [name, value] of Object.entries(r.requestHeaders)) {
    if (LEFT_OUT.has(name)) continue;
    for (const v of Array.isArray(value) ? value : [value]) parts.push('-H', shellQuote(`${name}: ${v}`));
  }
  if (r.requestBody) {
    const body = Buffer.from(r.requestBody.base64, 'base64');
    const text = body.toString('utf8');
    // Binary bodies cannot be pasted as a word: they are left for the user, said so in a comment.
    if (Buffer.from(text, 'utf8').equals(body) && !text.includes('\0')) parts.push('--data-binary', shellQuote(text));
    else parts.push(`# the ${r.requestBody.size}-byte binary body is not included`);
    if (r.requestBody.truncated)
      parts.push(`# only the first ${body.length} of ${r.requestBody.size} body bytes were captured`);
  }
  return parts.join(' ');
}

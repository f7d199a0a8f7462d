import type { CaptureRecord, HeaderMap } from './types';

/** Headers whose values are credentials: masked in every view and export unless asked otherwise. */
export const SECRET_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
]);

export const MASK = '••••••';

/**
 * The value with its secret part hidden: `Bearer ••••••` keeps the scheme (which tells Basic from
 * Bearer), cookies keep their names (`sid=••••••`), so a reader still sees what was sent.
 */
export function maskValue(name: string, value: string): string {
  if (name === 'cookie')
    return value
      .split(';')
      .map((c) => maskCookie(c.trim()))
      .join('; ');
  if (name === 'set-cookie') {
    const [first, ...attrs] = value.split(';');
    return [maskCookie(first.trim()), ...attrs.map((a) => a.trim())].join('; ');
  }
  const space = value.indexOf(' ');
  return space > 0 ? `${value.slice(0, space)} ${MASK}` : MASK;
}

function maskCookie(pair: string): string {
  const eq = pair.indexOf('=');
  return eq > 0 ? `${pair.slice(0, eq)}=${MASK}` : MASK;
}

export function maskHeaders(headers: HeaderMap): HeaderMap {
  let out: HeaderMap | undefined;
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (!SECRET_HEADERS.has(lower)) continue;
    out ??= { ...headers };
    out[name] = Array.isArray(value) ? value.map((v) => maskValue(lower, v)) : maskValue(lower, value);
  }
  return out ?? headers;
}

/** The record as every view shows it by default; `showSecrets` gives it back as recorded. */
export function maskRecord(r: CaptureRecord, showSecrets = false): CaptureRecord {
  if (showSecrets) return r;
  return {
    ...r,
    requestHeaders: maskHeaders(r.requestHeaders),
    responseHeaders: r.responseHeaders && maskHeaders(r.responseHeaders),
  };
}

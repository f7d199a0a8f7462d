import { isIP } from 'node:net';
import { UserError } from '../errors';

export type Target =
  | { kind: 'url'; protocol: 'http:' | 'https:'; hostname: string; port: number; href: string }
  | { kind: 'container'; container: string; port?: number; href: string }
  | { kind: 'builtin'; name: 'demo'; href: string };

const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

function parsePort(text: string, what: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) {
    throw new UserError(`Invalid target "${what}": port "${text}" must be a number from 1 to 65535.`, 'ETARGET');
  }
  return port;
}

/** The target `container:NAME[:PORT]` (NAME and PORT already checked). */
export function containerTarget(container: string, port?: number): Target {
  return port === undefined
    ? { kind: 'container', container, href: `container:${container}` }
    : { kind: 'container', container, port, href: `container:${container}:${port}` };
}

/**
 * Parses a route target: `http://127.0.0.1:5000`, `https://host:8443`, a bare port (`5000`,
 * meaning http://127.0.0.1:5000), or `container:NAME[:PORT]`.
 */
export function parseTarget(input: string): Target {
  const raw = String(input ?? '').trim();
  if (!raw) throw new UserError('Target is empty: give http://127.0.0.1:PORT or container:NAME[:PORT].', 'ETARGET');
  if (/^\d+$/.test(raw)) {
    const port = parsePort(raw, raw);
    return { kind: 'url', protocol: 'http:', hostname: '127.0.0.1', port, href: `http://127.0.0.1:${port}` };
  }
  if (raw === 'builtin:demo') return { kind: 'builtin', name: 'demo', href: raw };
  if (raw.startsWith('container:')) {
    const [, name, port, ...rest] = raw.split(':');
    if (!name || !CONTAINER_NAME.test(name) || rest.length) {
      throw new UserError(`Invalid target "${raw}": expected container:NAME or container:NAME:PORT.`, 'ETARGET');
    }
    return containerTarget(name, port === undefined ? undefined : parsePort(port, raw));
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UserError(
      `Invalid target "${raw}": expected http://HOST:PORT, a port number, or container:NAME[:PORT].`,
      'ETARGET',
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UserError(
      `Invalid target "${raw}": scheme must be http or https, not ${url.protocol.replace(':', '')}.`,
      'ETARGET',
    );
  }
  if ((url.pathname && url.pathname !== '/') || url.search || url.hash || url.username) {
    throw new UserError(
      `Invalid target "${raw}": give only scheme, host and port (no path, query or credentials).`,
      'ETARGET',
    );
  }
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  if (!hostname) throw new UserError(`Invalid target "${raw}": host is missing.`, 'ETARGET');
  // WHATWG URL accepts port 0 (and writes :00 as 0): refused like a bare 0, nothing listens there.
  const port = url.port ? parsePort(url.port, raw) : url.protocol === 'https:' ? 443 : 80;
  const shownHost = isIP(hostname) === 6 ? `[${hostname}]` : hostname;
  return { kind: 'url', protocol: url.protocol, hostname, port, href: `${url.protocol}//${shownHost}:${port}` };
}

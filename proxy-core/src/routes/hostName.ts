import { domainToASCII } from 'node:url';
import { isIPv4 } from 'node:net';
import { UserError } from '../errors';

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * Normalises a host name the user typed: lower case, no trailing dot, IDN as punycode
 * (RFC 1123 labels). Throws a UserError naming the offending part.
 */
export function normalizeHost(input: string): string {
  const raw = String(input ?? '').trim();
  if (!raw) throw new UserError('Host name is empty: give a name such as app.localhost.', 'EHOST');
  if (/[/:@\s]/.test(raw)) {
    throw new UserError(
      `Invalid host name "${raw}": give a bare name such as app.localhost, without scheme, port or path.`,
      'EHOST',
    );
  }
  const trimmed = raw.replace(/\.$/, '');
  // An IPv6 address has colons, refused above. isIP() would also try IPv6's pattern, whose first
  // use compiles a large regular expression: 7–8 ms of every CLI command that names a host.
  if (isIPv4(trimmed)) {
    throw new UserError(
      `Invalid host name "${raw}": IP addresses cannot be routed by name; use a name such as app.localhost.`,
      'EHOST',
    );
  }
  const ascii = domainToASCII(trimmed.toLowerCase());
  if (!ascii)
    throw new UserError(`Invalid host name "${raw}": it is not a valid (internationalised) domain name.`, 'EHOST');
  if (ascii.length > 253) throw new UserError(`Invalid host name "${raw}": longer than 253 characters.`, 'EHOST');
  for (const label of ascii.split('.')) {
    if (!LABEL.test(label)) {
      throw new UserError(
        `Invalid host name "${raw}": label "${label}" must be 1-63 letters, digits or hyphens, not starting or ending with a hyphen (RFC 1123).`,
        'EHOST',
      );
    }
  }
  return ascii;
}

/** True for an already-normalised (lower-case ASCII) RFC 1123 name, e.g. an SNI value. */
export function isRfc1123Name(host: string): boolean {
  return host.length > 0 && host.length <= 253 && host.split('.').every((label) => LABEL.test(label));
}

/** The URL users open for a host: the port is left out when it is HTTPS's own. */
export function httpsUrl(host: string, port: number, path = '/'): string {
  return `https://${host}${port === 443 ? '' : `:${port}`}${path}`;
}

/** True when `host` equals `suffix` or ends with `.suffix` (name-constraint semantics). */
export function hostMatchesSuffix(host: string, suffix: string): boolean {
  return host === suffix || host.endsWith(`.${suffix}`);
}

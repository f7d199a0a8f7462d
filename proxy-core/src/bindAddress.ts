/**
 * The address a client on this machine connects to for a listener bound to `bind`: a wildcard
 * bind (all interfaces) is reached through loopback, where our certificates' names are served.
 */
export function loopbackFor(bind: string): string {
  return bind === '0.0.0.0' || bind === '::' ? '127.0.0.1' : bind;
}

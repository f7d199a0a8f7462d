import { UserError } from '../errors';

/** Turns a bind failure into the one line a user needs. */
export function listenError(
  err: NodeJS.ErrnoException,
  what: string,
  bind: string,
  port: number,
  flag: string,
  setting: string,
): Error {
  if (err.code === 'EADDRINUSE') {
    return new UserError(
      `Port ${port} on ${bind} (${what}) is already in use — by another proxy or a second daemon. Free it, or pick another port with ${flag} (setting ${setting}).`,
      'EADDRINUSE',
      409,
    );
  }
  if (err.code === 'EACCES') {
    return new UserError(
      `Permission denied binding ${what} port ${port}: ports below 1024 need privileges. Use an unprivileged port with ${flag} (default 8443/8080), or allow it: sudo sysctl -w net.ipv4.ip_unprivileged_port_start=${port}, or sudo setcap cap_net_bind_service=+ep "$(command -v node)".`,
      'EACCES',
      403,
    );
  }
  if (err.code === 'EADDRNOTAVAIL') {
    return new UserError(
      `Cannot bind ${what} to ${bind}: that address is not on this machine. Use 127.0.0.1, or a local interface's address with --bind.`,
      'EADDRNOTAVAIL',
    );
  }
  return err;
}

/**
 * Whether `https://name.localhost/` (no port) reaches this daemon, as the daemon last saw it:
 * - `standard`: 127.0.0.1:443 answers with a certificate from our CA (a `ports setup` redirect,
 *   or the daemon itself bound 443); URLs carry no port.
 * - `own-port`: nothing answers on 443; URLs carry the daemon's own HTTPS port.
 * - `held`: another program answers on 443 (`holder` names it when it can be seen); the daemon
 *   keeps serving on its own port and URLs carry it.
 */
export type PortsMode = 'standard' | 'own-port' | 'held';

/** A process listening on a port, from /proc/net/tcp{,6} and /proc/PID/fd (docs/ports.md). */
export interface PortHolder {
  /** The listening address as the kernel lists it, e.g. `0.0.0.0:443`, `[::1]:443`. */
  address: string;
  uid: number;
  /** The user name of `uid` (/etc/passwd), when known. */
  user?: string;
  /** Undefined when the process belongs to another user (its /proc/PID/fd cannot be read without root). */
  pid?: number;
  /** /proc/PID/comm. */
  command?: string;
}

export interface PortsStatus {
  mode: PortsMode;
  /** The HTTPS port URLs carry: 443 in `standard` mode, else the daemon's own. */
  publicHttpsPort: number;
  /** One line: what was found and, when it is not `standard`, what to do. */
  detail: string;
  holder?: PortHolder;
  checkedAt: string;
}

import type { EncodedRecords } from '../capture/recordCodec';
import type { ConnectionTimeouts } from '../proxy/connectionTimer';
import type { RouteSnapshot } from '../routes/routeSnapshot';

/** A certificate as it crosses to a worker (the worker builds its own TLS context from it). */
export interface CertPem {
  host: string;
  certPem: string;
  keyPem: string;
}

/**
 * Daemon → worker. Every state message carries a sequence number the worker acknowledges, so the
 * daemon can wait until all workers serve what it serves (expose returns only after that).
 */
export type ToWorker =
  | {
      t: 'init';
      seq: number;
      port: number;
      backendTimeoutMs: number;
      timeouts?: ConnectionTimeouts;
      defaultCert: { cert: string; key: string };
      routes: RouteSnapshot;
      certs: CertPem[];
      /**
       * The request inspector: bytes of each body to keep, and whether the records go over the
       * record pipe (recordPipe.ts) or this channel; absent: record nothing.
       */
      capture?: { bodyBytes: number; pipe: boolean };
    }
  | { t: 'routes'; seq: number; routes: RouteSnapshot }
  /** The public HTTPS port changed (ports setup / undo): pages and X-Forwarded-Port follow it. */
  | { t: 'port'; seq: number; port: number }
  | { t: 'certs'; seq: number; set: CertPem[]; remove: string[] }
  /** Sent with a TCP socket handle: serve this connection. */
  | { t: 'conn' }
  /** The answer to a worker's fallback request: a certificate for a name without a route, or none. */
  | { t: 'fallback'; id: number; cert?: CertPem };

/**
 * Worker → daemon. `conns` is sent whenever the worker's last open connection closed: `accepted`
 * counts every connection it was ever handed, so the daemon can tell that none is still on its
 * way (an on-demand worker is stopped only when it serves nothing and nothing is in flight).
 * `capture`: finished requests, batched (capture/captureBatcher.ts), as their bytes
 * (capture/recordCodec.ts EncodedRecords) in base64, where the record pipe (recordPipe.ts) is not
 * used. The channel stays JSON: V8's serialization (`serialization: 'advanced'`) doubled the p99
 * of a 32-connection load through the workers (docs/performance.md, "Tenth pass").
 */
export type FromWorker =
  | { t: 'ack'; seq: number }
  | { t: 'log'; line: string }
  | { t: 'fallback'; id: number; host: string }
  | { t: 'conns'; open: number; accepted: number }
  | { t: 'capture'; records: WireRecords };

/** Encoded request records as they cross the JSON channel. */
export interface WireRecords {
  base64: string;
  lengths: number[];
}

export const recordsToWire = ({ bytes, lengths }: EncodedRecords): WireRecords => ({
  base64: bytes.toString('base64'),
  lengths,
});

export const recordsFromWire = ({ base64, lengths }: WireRecords): EncodedRecords => ({
  bytes: Buffer.from(base64, 'base64'),
  lengths,
});

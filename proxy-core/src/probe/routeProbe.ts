import * as https from 'node:https';
import { VerifyFailure, describeFailure, servedChain, verifyProblem } from './tlsVerifyError';

export interface ProbeResult {
  ok: boolean;
  status?: number;
  error?: string;
  /** The certificate failed verification: permanent, waiting cannot fix it (see tlsVerifyError.ts). */
  untrusted?: VerifyFailure;
}

/** The longest wait a probe may take (`expose --wait` may wait for a container's first start, too). */
export const MAX_PROBE_WAIT_S = 3600;

/** POST /v1/routes/:host/probe's body (daemon/routeProbeApi.ts); every field may be left out. */
export interface ProbeRequest {
  /** The path route to probe (`/api`); absent: the host's own route. */
  path?: string;
  /** Seconds to keep probing until the route answers (default 10). */
  wait?: number;
  /**
   * An ACME route is verified as the caller's own tools would: the public roots plus the PEM of the
   * caller's NODE_EXTRA_CA_CERTS (the daemon's may differ: it was read when the daemon started).
   */
  extraCaPem?: string;
}

export interface ProbeOptions {
  host: string;
  port: number;
  connectTo: string;
  /** Undefined: Node's default store. */
  ca: string | string[] | undefined;
  timeoutMs?: number;
  /** Default `/`; a path route is probed at its path. */
  path?: string;
}

/**
 * One HTTPS request to a route through the proxy, verified against the given CA (the way a
 * browser that trusts our CA would see it). 502-504 mean the proxy answered but the target did not.
 */
export function probeRoute(opts: ProbeOptions): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const req = https.request(
      {
        host: opts.connectTo,
        port: opts.port,
        servername: opts.host,
        headers: { host: `${opts.host}:${opts.port}`, 'user-agent': 'container-https-probe' },
        path: opts.path ?? '/',
        method: 'GET',
        ca: opts.ca,
        agent: false,
        timeout: opts.timeoutMs ?? 5000,
      },
      (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        resolve({ ok: status < 502 || status > 504, status });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) => {
      if (!verifyProblem(err)) return resolve({ ok: false, error: err.message });
      // A second handshake, unverified and without a request, only to name what was served.
      void servedChain({
        host: opts.connectTo,
        port: opts.port,
        servername: opts.host,
        timeoutMs: opts.timeoutMs,
      }).then((chain) => resolve({ ok: false, error: err.message, untrusted: describeFailure(err, chain) }));
    });
    req.end();
  });
}

/** Probes until the route answers, the wait is over, or the certificate fails verification. */
export async function waitForRoute(opts: ProbeOptions & { waitMs: number }): Promise<ProbeResult> {
  const deadline = Date.now() + opts.waitMs;
  let delay = 20;
  for (;;) {
    const result = await probeRoute(opts);
    if (result.ok || result.untrusted || Date.now() + delay > deadline) return result;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 500);
  }
}

import * as fs from 'node:fs';
import * as tls from 'node:tls';
import { loopbackFor } from '../bindAddress';
import { UserError } from '../errors';
import { MAX_PROBE_WAIT_S, type ProbeRequest, type ProbeResult, waitForRoute } from '../probe/routeProbe';
import { normalizeHost } from '../routes/hostName';
import { hostPath, normalizeRoutePath } from '../routes/routePath';
import type { RouteView } from '../routes/types';

export interface RouteProbeDeps {
  routes: () => RouteView[];
  /** Our CA's certificate: what a local route is verified against. */
  caPem: () => string;
  /** The HTTPS listener as bound. */
  https: () => { bind: string; port: number };
  /** The daemon's --acme-ca-file (Pebble's root in tests, a private ACME CA's in companies). */
  acmeTrustFile: () => string | undefined;
}

/**
 * POST /v1/routes/:host/probe (body ProbeRequest): one verified HTTPS request to the route through
 * the proxy, repeated until it answers, the wait is over, or its certificate fails verification.
 * The daemon probes rather than the CLI because a Node process pays 40–50 ms for its first TLS
 * context (OpenSSL 3's set-up, docs/performance.md "Ninth pass"), which a daemon has paid long
 * ago: `expose` in a terminal is that much faster. A local route is verified against our CA
 * alone; an ACME one as the caller's tools would see it: the public roots, the caller's
 * NODE_EXTRA_CA_CERTS (sent as `extraCaPem`) and the daemon's --acme-ca-file root, if any.
 */
export async function probeExposedRoute(deps: RouteProbeDeps, hostInput: string, body: unknown): Promise<ProbeResult> {
  const host = normalizeHost(hostInput);
  const request = checkProbeRequest(body);
  const path = request.path === undefined ? undefined : normalizeRoutePath(request.path);
  const route = deps.routes().find((r) => r.host === host && r.path === path);
  if (!route)
    throw new UserError(
      `No route for ${hostPath(host, path)}: add it with container-https expose first.`,
      'ENOROUTE',
      404,
    );
  const https = deps.https();
  const acmeRoots = (): string[] => [
    ...tls.rootCertificates,
    ...(request.extraCaPem ? [request.extraCaPem] : []),
    ...readIfThere(deps.acmeTrustFile()),
  ];
  return waitForRoute({
    host,
    port: https.port,
    connectTo: loopbackFor(https.bind),
    ca: route.tls === 'acme' ? acmeRoots() : deps.caPem(),
    waitMs: (request.wait ?? 10) * 1000,
    path: route.path,
  });
}

/** The body's types are checked, never coerced; absent means all defaults. */
function checkProbeRequest(body: unknown): ProbeRequest {
  if (body === undefined || body === null) return {};
  const bad = (why: string) => new UserError(`Invalid probe request: ${why}.`, 'EBODY');
  if (typeof body !== 'object' || Array.isArray(body)) throw bad('the body must be a JSON object');
  const { path, wait, extraCaPem, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length) throw bad(`unknown field ${unknown[0]} (fields: path, wait, extraCaPem)`);
  if (path !== undefined && typeof path !== 'string') throw bad('path must be a string such as /api');
  if (wait !== undefined && (typeof wait !== 'number' || !Number.isFinite(wait) || wait < 0 || wait > MAX_PROBE_WAIT_S))
    throw bad(`wait must be a number of seconds from 0 to ${MAX_PROBE_WAIT_S}`);
  if (extraCaPem !== undefined && typeof extraCaPem !== 'string') throw bad('extraCaPem must be PEM text');
  return { path, wait, extraCaPem } as ProbeRequest;
}

function readIfThere(file: string | undefined): string[] {
  return file && fs.existsSync(file) ? [fs.readFileSync(file, 'utf8')] : [];
}

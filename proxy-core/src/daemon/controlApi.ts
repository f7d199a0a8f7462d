import type { CertStore } from '../certs/certStore';
import type { LocalCa } from '../certs/localCa';
import type { ContainersResponse, DaemonStatus } from '../control/apiTypes';
import type * as http from 'node:http';
import type { ControlServer } from '../control/controlServer';
import type { SseStream } from '../control/sse';
import {
  Ca,
  CaCheck,
  Cert,
  Certs,
  Containers,
  DeleteLanShare,
  DeleteRoute,
  Events,
  PortsCheck,
  Lan,
  PostCaShare,
  ProbeRoute,
  PutLanShare,
  PutRoute,
  RenewCert,
  Routes,
  Shutdown,
  Status,
} from '../control/protocol';
import { UserError } from '../errors';
import { normalizeHost } from '../routes/hostName';
import { caStatus, verifyAndRecord, watchTrustRecord } from '../trust/caStatus';
import { daemonEndpoint } from '../trust/checkEndpoint';
import type { PortsWatch } from '../ports/portsWatch';
import type { LanService } from '../lan/lanService';
import type { IdleExit } from './idleExit';
import type { RouteService } from './routeService';
import { probeExposedRoute } from './routeProbeApi';

export interface ControlApiDeps {
  routes: RouteService;
  store: CertStore;
  ca: LocalCa;
  caDir: string;
  status: () => DaemonStatus;
  /** The 443 redirect's state; POST /v1/ports/check probes again. */
  ports: Pick<PortsWatch, 'check'>;
  /** Undefined when Docker discovery is off. */
  containers: () => ContainersResponse | undefined;
  /** The HTTPS listener as bound (the trust check connects to it). */
  https: () => { bind: string; port: number };
  idleExit: IdleExit;
  /** Stops the daemon (after the answer is out). */
  shutdown: () => void;
  lan: LanService;
  /** What else a new event stream gets (the request inspector's `request` events, daemon/requestsApi.ts). */
  onEvents?: (stream: SseStream, query: URLSearchParams, res: http.ServerResponse) => void;
}

/**
 * The control API's handlers, one per endpoint of control/protocol.ts (the table in
 * docs/architecture.md). They only translate: the use cases are RouteService's, the state the
 * daemon's. Returns the closer of the trust-record watch.
 */
export function registerControlApi(c: ControlServer, deps: ControlApiDeps): () => void {
  const { routes, store, ca } = deps;
  c.handle(Status, () => deps.status());
  c.handle(Routes, () => routes.view());
  c.handle(PutRoute, (req) => routes.expose(req.params.host, req.body));
  c.handle(DeleteRoute, (req) => routes.unexpose(req.params.host, req.query.get('path') ?? undefined));
  c.handle(ProbeRoute, (req) =>
    probeExposedRoute(
      {
        routes: () => routes.view().routes,
        caPem: () => ca.certPem,
        https: deps.https,
        acmeTrustFile: () => deps.status().acme.trustFile,
      },
      req.params.host,
      req.body,
    ),
  );
  c.handle(Certs, () => ({ certs: store.list() }));
  c.handle(Cert, (req) => {
    const host = normalizeHost(req.params.host);
    const stored = store.get(host);
    if (!stored)
      throw new UserError(`${host} has no certificate yet: see its route with container-https routes.`, 'ENOCERT', 404);
    return { meta: stored.meta, certPem: stored.certPem };
  });
  c.handle(
    Containers,
    () =>
      deps.containers() ?? {
        connected: false,
        error: 'Docker discovery is off for this daemon (serve --no-docker).',
        containers: [],
      },
  );
  // Trust of the local CA (issue 7): what `ca trust` added and the last verification, live.
  c.handle(Ca, () => caStatus(ca));
  c.handle(CaCheck, async () => {
    await verifyAndRecord(ca, daemonEndpoint({ https: deps.https() }));
    return caStatus(ca);
  });
  const stopWatch = watchTrustRecord(deps.caDir, () => c.broadcast('ca', caStatus(ca)));
  c.handle(PortsCheck, () => deps.ports.check());
  c.handle(Lan, () => deps.lan.status());
  c.handle(PutLanShare, (req) => deps.lan.share(req.params.host, req.body));
  c.handle(DeleteLanShare, (req) => deps.lan.unshare(req.params.host));
  c.handle(PostCaShare, (req) => deps.lan.startCaShare(req.body));
  c.handle(RenewCert, (req) => routes.renew(req.params.host));
  c.handle(Events, (req) => {
    const stream = c.openStream(req.res);
    deps.idleExit.track(req.res);
    stream.send('status', deps.status());
    stream.send('routes', routes.view());
    stream.send('certs', { certs: store.list() });
    const containers = deps.containers();
    if (containers) stream.send('containers', containers);
    stream.send('ca', caStatus(ca));
    deps.onEvents?.(stream, req.query, req.res);
    return undefined;
  });
  c.handle(Shutdown, () => {
    setTimeout(deps.shutdown, 10);
    return { stopping: true };
  });
  return stopWatch;
}

import type { CertManager } from '../certs/certManager';
import type { CertReconciler } from '../certs/certReconciler';
import type { CertMeta } from '../certs/certStore';
import type { RoutesResponse } from '../control/apiTypes';
import { HeldRoute, LabelRoutes, sameRecords } from '../docker/labelSource';
import { UserError } from '../errors';
import { httpsUrl, normalizeHost } from '../routes/hostName';
import { checkRouteRequest, userRecord } from '../routes/routeRequest';
import { hostPath, normalizeRoutePath } from '../routes/routePath';
import type { RouteStore } from '../routes/routeStore';
import type { RouteTable } from '../routes/routeTable';
import { containerTarget } from '../routes/target';
import { ruleOf } from '../routes/routerIndex';
import type { RouteRecord, RouteView } from '../routes/types';
import type { LanShareView } from '../lan/types';
import { routerPriority } from '../traefik/priority';
import { pathOfRule } from '../traefik/rules';

export interface RouteServiceDeps {
  table: RouteTable;
  store: RouteStore;
  certs: CertManager;
  reconciler: CertReconciler;
  /** The HTTPS port as bound (URLs in the views and the log). */
  httpsPort: () => number;
  /** Docker discovery's check of `container:NAME[:PORT]`; undefined when Docker is off (serve --no-docker). */
  containerTarget?: (name: string, port: number | undefined) => Promise<{ container: string; port: number }>;
  /** Why the last ACME order for host failed (the ACME scheduler's record). */
  acmeLastError: (host: string) => string | undefined;
  /** Resolves once every proxy worker has the current routes and certificates. */
  syncWorkers: () => Promise<void>;
  /** The host's LAN share (lan/lanService.ts), shown on its route. */
  lanShare?: (host: string) => LanShareView | undefined;
  log: (line: string) => void;
}

/**
 * Where a route change starts: the use cases (expose, unexpose, renew) and Docker's label routes
 * all change the route table here, and nowhere else; what follows a change is wired in
 * daemon/daemon.ts (followChanges). Also the route views clients read (GET /v1/routes, events).
 */
export class RouteService {
  /** Label hosts outside the local CA's names: listed, not served (docker/labelSource.ts). */
  private held: HeldRoute[] = [];

  constructor(private readonly deps: RouteServiceDeps) {}

  /** Adds or replaces a user route: validates, persists, and waits for its certificate. */
  async expose(hostInput: string, body: unknown): Promise<RouteView> {
    const { table, certs } = this.deps;
    const host = normalizeHost(hostInput);
    // The body is whatever JSON a client sent: its types are checked, never coerced (control/apiTypes.ts ExposeRequest is the shape).
    const checked = checkRouteRequest(body);
    if (!checked.ok)
      throw new UserError(
        checked.code === 'EBODY' ? `Invalid request body for ${host}: ${checked.reason}` : checked.reason,
        checked.code,
      );
    let { target } = checked.value;
    const { tls, path } = checked.value;
    if (target.kind === 'container') {
      if (!this.deps.containerTarget) {
        throw new UserError(
          `Container targets need Docker discovery, which is off for this daemon (serve --no-docker). Use an http:// target, or restart serve without --no-docker.`,
          'ENODOCKER',
        );
      }
      const found = await this.deps.containerTarget(target.container, target.port);
      target = containerTarget(found.container, found.port);
    }
    if (tls === 'local') certs.ca.assertPermits(host);
    // Refuse before storing anything: a route that can never get a certificate is not a route.
    if (tls === 'acme') certs.assertAcmeConfigured();
    const record = userRecord(host, checked.value, target.href, new Date().toISOString());
    table.upsert(record);
    await this.deps.store.save(table.recordsOf('user'));
    // The reconciler asked for it as the table changed; this is the same attempt. On failure the
    // route stays (it serves as soon as a certificate exists) and the caller learns why not yet.
    await this.deps.reconciler.ensure(host, tls);
    // The next connection may land in a worker: it must already know the route and certificate.
    await this.deps.syncWorkers();
    this.deps.log(`exposed ${httpsUrl(host, this.deps.httpsPort(), path ?? '/')} -> ${target.href}`);
    return this.routeView(record);
  }

  async unexpose(hostInput: string, pathInput?: string): Promise<{ removed: boolean }> {
    const { table } = this.deps;
    const host = normalizeHost(hostInput);
    const path = pathInput === undefined ? undefined : normalizeRoutePath(pathInput);
    const where = hostPath(host, path);
    if (!table.remove('user', host, path)) {
      const others = table.recordsOf('user').filter((r) => r.host === host);
      if (others.length)
        throw new UserError(
          `No route for ${where}; ${host} has ${others.map((r) => hostPath(r.host, r.path)).join(', ')}: remove one of those by name.`,
          'ENOROUTE',
          404,
        );
      const route = table.get(host);
      if (route) {
        throw new UserError(
          route.source === 'auto'
            ? `${host} is the automatic name of container ${route.container} (serve --auto-domains), not from expose: stop the container, or give it the label container-https.enable=false.`
            : `${host} comes from ${route.source === 'label' ? `labels on container ${route.container}` : route.source === 'file' ? `router ${route.router} of the Traefik dynamic configuration` : 'the built-in demo'}, not from expose: remove the labels (or stop that container) instead.`,
          'ENOTUSER',
          409,
        );
      }
      throw new UserError(`No route for ${where}. See the routes with: container-https routes`, 'ENOROUTE', 404);
    }
    await this.deps.store.save(table.recordsOf('user'));
    await this.deps.syncWorkers();
    this.deps.log(`unexposed ${where}`);
    return { removed: true };
  }

  /** Issues a new certificate for a routed host now. */
  async renew(hostInput: string): Promise<CertMeta> {
    const host = normalizeHost(hostInput);
    const route = this.deps.table.get(host);
    if (!route) throw new UserError(`No route for ${host}, so there is no certificate to renew.`, 'ENOROUTE', 404);
    const { meta } = await this.deps.certs.issue(host, route.tls);
    await this.deps.syncWorkers();
    return meta;
  }

  /**
   * What the providers found (daemon/providerRoutes.ts): the table's 'label', 'file' and 'auto'
   * (automatic container names) sources, and the hosts held back. The same records again mean
   * containers' addresses or states changed, which routes to them show.
   */
  applyProviderRoutes(
    found: Pick<LabelRoutes, 'records' | 'fileRecords' | 'held'> & { autoRecords?: RouteRecord[] },
  ): void {
    const { table } = this.deps;
    this.held = found.held;
    const auto = found.autoRecords ?? [];
    const labelSame = sameRecords(table.recordsOf('label'), found.records);
    const fileSame = sameRecords(table.recordsOf('file'), found.fileRecords);
    const autoSame = sameRecords(table.recordsOf('auto'), auto);
    if (labelSame && fileSame && autoSame) return table.notifyTargetsChanged();
    if (!labelSame) table.replaceSource('label', found.records);
    if (!fileSame) table.replaceSource('file', found.fileRecords);
    if (!autoSame) table.replaceSource('auto', auto);
  }

  routeView(record: RouteRecord): RouteView {
    const { certs } = this.deps;
    const view = this.baseView(record, 'ready');
    const cert = certs.store.get(record.host);
    if (!cert || cert.meta.issuer !== record.tls) {
      view.status = 'pending';
      view.detail = certs.isPending(record.host) ? 'certificate being issued' : 'no certificate yet';
      const lastError = cert?.meta.lastError ?? this.deps.acmeLastError(record.host) ?? certs.lastError(record.host);
      if (lastError) view.detail = lastError;
      return view;
    }
    const resolved = this.deps.table.resolveRecord(record);
    if (resolved?.kind === 'upstream') {
      view.upstream = resolved.upstream.href;
      if (resolved.via) view.detail = resolved.via;
    }
    if (resolved?.kind === 'unavailable') {
      view.status = 'unavailable';
      view.detail = resolved.detail;
    }
    return view;
  }

  private baseView(record: RouteRecord, status: RouteView['status']): RouteView {
    const rule = ruleOf(record);
    const path = record.path ?? pathOfRule(rule) ?? '/';
    const lan = this.deps.lanShare?.(record.host);
    return {
      ...record,
      url: httpsUrl(record.host, this.deps.httpsPort(), path),
      effectiveRule: rule,
      effectivePriority: routerPriority(rule, record.priority),
      status,
      ...(lan
        ? { lan: { name: lan.name, url: httpsUrl(lan.name, this.deps.httpsPort(), path), authUser: lan.authUser } }
        : {}),
    };
  }

  view(): RoutesResponse {
    const { table } = this.deps;
    const routes = table.list().map((r) => this.routeView(r));
    // Label hosts outside the local CA's names are listed, not served, until the user picks ACME or an alias.
    const held = this.held.filter((h) => !table.get(h.record.host));
    if (held.length) {
      routes.push(...held.map((h): RouteView => ({ ...this.baseView(h.record, 'unavailable'), detail: h.detail })));
      routes.sort((a, b) => a.host.localeCompare(b.host));
    }
    return { routes };
  }
}

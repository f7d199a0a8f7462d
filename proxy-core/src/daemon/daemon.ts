import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import { AcmeService } from '../acme/acmeService';
import type { RetryPolicy } from '../acme/renewalScheduler';
import { CertManager } from '../certs/certManager';
import { CertStore } from '../certs/certStore';
import { FallbackCerts } from '../certs/fallbackCerts';
import { LocalCa } from '../certs/localCa';
import { ContainersResponse, DaemonStatus, RoutesResponse } from '../control/apiTypes';
import { ControlServer } from '../control/controlServer';
import { DockerDiscovery } from '../docker/discovery';
import type { AddressMode } from '../docker/containerResolver';
import { UserError, errorMessage } from '../errors';
import { ensureDir } from '../fsUtil';
import { StatePaths, currentUid, statePaths } from '../paths';
import { ensurePrivateDir } from '../privateDir';
import { HttpListener } from '../proxy/httpListener';
import { ConnectionDispatcher } from '../proxy/connectionDispatcher';
import { HttpsProxy } from '../proxy/httpsProxy';
import { httpsUrl, normalizeHost } from '../routes/hostName';
import { snapshotRoutes } from '../routes/routeSnapshot';
import { RouteStore } from '../routes/routeStore';
import { RouteTable } from '../routes/routeTable';
import { checkRouteRequest } from '../routes/routeRequest';
import { parseTarget } from '../routes/target';
import { RouteRecord, RouteView } from '../routes/types';
import { VERSION } from '../version';
import { caStatus, verifyAndRecord, watchTrustRecord } from '../trust/caStatus';
import { daemonEndpoint } from '../trust/checkEndpoint';
import { IdleExit } from './idleExit';
import { acquirePidLock } from './lock';
import { watchStateDir } from './stateDirWatch';
import { listenError } from './listenErrors';
import { WorkerPool } from './workerPool';
import type { CertPem } from './workerProtocol';

export interface DaemonOptions {
  stateDir: string;
  /** 0 picks a free port. */
  httpsPort: number;
  /** 0 picks a free port; null turns the HTTP listener off. */
  httpPort: number | null;
  bind: string;
  docker: boolean;
  labels: boolean;
  /** The engine to watch (else DOCKER_HOST, the current Docker context, the default socket). */
  dockerHost?: string;
  /** Container addresses: IP on a reachable network, published host port, or chosen per engine. */
  dockerAddress?: AddressMode;
  demo: boolean;
  acmeDirectory?: string;
  acmeEmail?: string;
  acmeCaFile?: string;
  acmeChallenge?: 'http-01' | 'tls-alpn-01' | 'dns-01';
  /** The CA's terms of service accepted (recorded per directory in the account file). */
  acmeAgreeTos?: boolean;
  /** External Account Binding for CAs that require it. */
  acmeEab?: { kid: string; hmacKey: string };
  /** DNS-01 hook command (called with present|cleanup FQDN VALUE). */
  acmeDnsHook?: string;
  /** Failure backoff of ACME orders; the default respects Let's Encrypt's limits (tests shorten it). */
  acmeRetry?: RetryPolicy;
  backendTimeoutMs: number;
  /**
   * Proxy worker processes beside the daemon's own (0: the daemon serves every connection).
   * Undefined: one when the machine has two or more cores (defaultWorkerCount).
   */
  workers?: number;
  /** Restart delays of a crashed worker (tests shorten them). */
  workerRestartMs?: { first: number; max: number };
  /** Suffixes for a CA created by this start (an existing CA keeps its own). */
  caSuffixes?: string[];
  /**
   * Stop once no client has listened to GET /v1/events for this long (the editor starts the
   * daemon with it unless containerHttps.proxy.keepRunning is on). Undefined: run until stopped.
   */
  exitWhenIdleMs?: number;
  log: (line: string) => void;
}

export const DEFAULT_OPTIONS = {
  httpsPort: 8443,
  httpPort: 8080,
  bind: '127.0.0.1',
  docker: true,
  labels: true,
  demo: false,
  backendTimeoutMs: 30_000,
};

export const DEMO_HOST = 'demo.localhost';

/**
 * One worker beside the daemon on a machine with two or more cores. Under load the daemon's
 * single thread is the limit (TLS and HTTP for every request); a second process on a second core
 * raised HTTP/1.1 throughput by about a fifth on the 2-core benchmark machine (docs/performance.md). More than
 * one worker is left to --workers: a dev proxy should not claim every core by default.
 */
export function defaultWorkerCount(): number {
  return os.availableParallelism() >= 2 ? 1 : 0;
}

/**
 * One daemon per user and state dir: owns the listeners, the route table, certificates and the
 * control API, and wires sources (user, labels) → route table → proxy.
 */
export class Daemon {
  readonly paths: StatePaths;
  readonly table = new RouteTable();
  readonly control: ControlServer;
  readonly problems: string[] = [];
  readonly startedAt = new Date();
  certs!: CertManager;
  https!: HttpsProxy;
  http?: HttpListener;
  /** Owns the HTTPS port and deals connections out to this process and the workers. */
  dispatcher!: ConnectionDispatcher;
  workers?: WorkerPool;
  /** Set when ACME is configured (--acme-email or --acme-directory). */
  acme?: AcmeService;
  private store!: RouteStore;
  private releaseLock?: () => void;
  private readonly closers: Array<() => Promise<void> | void> = [];
  /** Filled in by the Docker side when discovery is on. */
  dockerStatus: DaemonStatus['docker'];
  docker?: DockerDiscovery;

  private readonly idleExit: IdleExit;
  /** Settles when boot() has finished; control requests wait for it (ControlServer.holdUntil). */
  private readonly booted: { promise: Promise<void>; resolve: () => void; reject: (err: unknown) => void };
  /** The process exit code once the daemon stopped by itself (1: its state dir was removed). */
  exitCode = 0;

  private constructor(readonly options: DaemonOptions) {
    this.paths = statePaths(options.stateDir);
    this.idleExit = new IdleExit(options.exitWhenIdleMs, (ms) => {
      this.log(`no editor window has used the proxy for ${Math.round(ms / 1000)} s: stopping (routes are kept in routes.json)`);
      void this.close().then(() => this.emitExit());
    });
    this.control = new ControlServer(this.paths.socket);
    let resolve!: () => void;
    let reject!: (err: unknown) => void;
    const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
    this.booted = { promise, resolve, reject };
    this.control.holdUntil(promise);
    this.dockerStatus = { enabled: options.docker, labels: options.docker && options.labels, connected: false };
  }

  static async start(options: DaemonOptions): Promise<Daemon> {
    const daemon = new Daemon(options);
    try {
      await daemon.boot();
    } catch (err) {
      daemon.booted.reject(err);
      await daemon.close().catch(() => undefined);
      throw err;
    }
    daemon.booted.resolve();
    return daemon;
  }

  log(line: string): void {
    this.options.log(line);
    this.control.broadcast('log', { line, at: new Date().toISOString() });
  }

  private async boot(): Promise<void> {
    const { options, paths } = this;
    ensureDir(paths.stateDir);
    fs.chmodSync(paths.stateDir, 0o700);
    this.releaseLock = acquirePidLock(paths.pidFile, paths.stateDir);
    // A long state dir's socket lives in a per-user directory (paths.ts) that must be ours alone.
    if (paths.socketDir) ensurePrivateDir(paths.socketDir, currentUid());
    this.closers.push(watchStateDir(paths.stateDir, paths.pidFile, (dir) => this.stateDirGone(dir)));
    // The control socket opens before the HTTPS port, so a client that sees the port answer can
    // always reach the API. Its requests wait until the start is complete (holdUntil above).
    await this.control.listen();
    this.closers.push(() => this.control.close());

    const { ca, created } = await LocalCa.loadOrCreate(paths.caDir, { suffixes: options.caSuffixes });
    if (created) this.log(`created local CA ${paths.caCert}`);
    const certStore = new CertStore(paths.certsDir);
    this.problems.push(...certStore.loadAll());
    this.certs = new CertManager(certStore, ca, (l) => this.log(l));

    this.store = new RouteStore(paths.routesFile);
    const loaded = this.store.load();
    if (loaded.problem) this.problems.push(loaded.problem);
    for (const p of this.problems) this.log(`problem: ${p}`);
    this.table.replaceSource('user', loaded.routes);
    if (options.demo) {
      this.table.replaceSource('demo', [{ host: DEMO_HOST, target: 'builtin:demo', tls: 'local', source: 'demo', createdAt: this.startedAt.toISOString() }]);
    }

    // The certificate served to names we have no route for (the 404 page still needs TLS).
    const fallback = await ca.issueLeaf('localhost');
    const defaultCert = { cert: fallback.certPem, key: fallback.keyPem };
    const fallbackCerts = FallbackCerts.forCa(ca);
    this.https = new HttpsProxy({
      table: this.table,
      // A pending TLS-ALPN-01 challenge answers for its name first (only for those few seconds).
      contextFor: (name) => this.acme?.challenges.contextFor(name) ?? this.certs.store.get(name)?.context,
      fallbackContextFor: (name) => fallbackCerts.contextFor(name),
      defaultCert,
      port: options.httpsPort,
      backendTimeoutMs: options.backendTimeoutMs,
      log: (l) => this.log(l),
    });
    this.closers.push(() => this.https.close());
    this.dispatcher = new ConnectionDispatcher({
      port: options.httpsPort,
      bind: options.bind,
      local: (socket) => this.https.accept(socket),
      workers: () => this.workers?.takers() ?? [],
      // The CA's validation connection must meet the challenge certificate, which only we hold.
      keepLocal: () => this.acme?.challenges.tlsAlpnPending ?? false,
    });
    // Port 0 asks the OS for a free port (tests, benchmarks); from here on the real one counts.
    options.httpsPort = await this.dispatcher.listen().catch((err) => {
      throw listenError(err, 'HTTPS', options.bind, options.httpsPort, '--https-port', 'containerHttps.proxy.httpsPort');
    });
    this.https.port = options.httpsPort;
    this.closers.push(() => this.dispatcher.close());

    if (options.httpPort !== null) {
      const httpPort = options.httpPort;
      this.http = new HttpListener({ table: this.table, port: httpPort, bind: options.bind, httpsPort: options.httpsPort });
      await this.http.listen().catch((err) => {
        throw listenError(err, 'HTTP', options.bind, httpPort, '--http-port', 'containerHttps.proxy.httpPort');
      });
      options.httpPort = (this.http.server.address() as AddressInfo).port;
      this.closers.push(() => this.http?.close());
    }

    if (options.acmeEmail || options.acmeDirectory) {
      this.acme = new AcmeService(
        { directory: options.acmeDirectory, email: options.acmeEmail, caFile: options.acmeCaFile, challenge: options.acmeChallenge, agreeTos: options.acmeAgreeTos, eab: options.acmeEab, dnsHook: options.acmeDnsHook, retry: options.acmeRetry },
        { accountDir: paths.acmeDir, certs: this.certs, table: this.table, http: this.http, httpsServer: this.https.server, log: (l) => this.log(l) },
      );
      for (const p of this.acme.problems) this.log(`problem: ${p}`);
      this.problems.push(...this.acme.problems);
      this.closers.push(() => this.acme?.stop());
    }

    // Certificates for every route we restored, before anyone asks. ACME orders take seconds
    // and need the network, so the renewal scheduler runs them without holding up the start.
    await Promise.all(
      this.table.list().filter((r) => r.tls === 'local' || !this.acme).map((r) =>
        this.certs.ensure(r.host, r.tls).catch((err) => this.log(`certificate for ${r.host}: ${errorMessage(err)}`)),
      ),
    );
    this.certs.startRenewals(() => this.table.list());
    this.closers.push(() => this.certs.stop());
    this.acme?.start();

    if (options.docker) await this.startDocker();
    this.startWorkers(defaultCert, fallbackCerts);

    this.registerApi();
    this.idleExit.arm();
    this.closers.push(() => this.idleExit.stop());

    this.table.on('changed', () => this.control.broadcast('routes', this.routesView()));
    this.certs.store.on('changed', () => this.control.broadcast('certs', { certs: this.certs.store.list() }));
    // ACME orders retried in the background: routes carry the last error, status the schedule.
    this.acme?.on('changed', () => {
      this.control.broadcast('routes', this.routesView());
      this.control.broadcast('status', this.status());
    });
    this.log(`listening on https://${options.bind}:${options.httpsPort}${this.http ? ` and http://${options.bind}:${options.httpPort}` : ''}; control socket ${paths.socket}`);
  }

  /** Proxy workers get the routes as resolved here (container addresses included) and every certificate. */
  private startWorkers(defaultCert: { cert: string; key: string }, fallbackCerts: FallbackCerts): void {
    const count = this.options.workers ?? defaultWorkerCount();
    if (!count) return;
    const pems = (host: string): CertPem | undefined => {
      const stored = this.certs.store.get(host);
      return stored && { host, certPem: stored.certPem, keyPem: stored.keyPem };
    };
    const workers = new WorkerPool({
      count,
      port: this.options.httpsPort,
      backendTimeoutMs: this.options.backendTimeoutMs,
      defaultCert,
      routes: () => snapshotRoutes(this.table),
      certs: () => this.certs.store.list().flatMap((meta) => pems(meta.host) ?? []),
      fallback: (host) => fallbackCerts.pemFor(host),
      log: (l) => this.log(l),
      restartDelayMs: this.options.workerRestartMs,
    });
    this.workers = workers;
    this.table.on('changed', () => workers.routesChanged());
    this.certs.store.on('changed', (host: string) => workers.certChanged(host, pems(host)));
    this.closers.push(() => {
      // No connection may be dealt to a worker that is on its way out.
      this.dispatcher.close();
      return workers.close();
    });
    workers.start();
  }

  /** Docker discovery: container targets resolve from the engine's live model; labels feed the table. */
  private async startDocker(): Promise<void> {
    const docker = new DockerDiscovery({
      host: this.options.dockerHost,
      addressMode: this.options.dockerAddress ?? 'auto',
      labels: this.options.labels,
      table: this.table,
      ca: this.certs.ca,
      ensureCert: (host, tls) => this.certs.ensure(host, tls),
      log: (l) => this.log(l),
    });
    this.docker = docker;
    this.table.setContainerResolver(docker.resolver);
    docker.on('status', () => {
      this.dockerStatus = docker.status();
      this.control.broadcast('status', this.status());
    });
    docker.on('containers', (c) => this.control.broadcast('containers', c));
    this.addCloser(() => docker.close());
    await docker.start();
    this.dockerStatus = docker.status();
  }

  /** Adds or replaces a user route: validates, gets its certificate, then persists it. */
  async expose(hostInput: string, body: unknown): Promise<RouteView> {
    const host = normalizeHost(hostInput);
    // The body is whatever JSON a client sent: its types are checked, never coerced (control/apiTypes.ts ExposeRequest is the shape).
    const checked = checkRouteRequest(body);
    if (!checked.ok) throw new UserError(checked.code === 'EBODY' ? `Invalid request body for ${host}: ${checked.reason}` : checked.reason, checked.code);
    let { target } = checked.value;
    const { tls } = checked.value;
    if (target.kind === 'container' && !this.options.docker) {
      throw new UserError(`Container targets need Docker discovery, which is off for this daemon (serve --no-docker). Use an http:// target, or restart serve without --no-docker.`, 'ENODOCKER');
    }
    if (target.kind === 'container' && this.docker) target = parseTarget(await this.docker.containerTarget(target.container, target.port));
    if (tls === 'local') this.certs.ca.assertPermits(host);
    // Refuse before storing anything: a route that can never get a certificate is not a route.
    if (tls === 'acme') this.certs.assertAcmeConfigured();
    const record: RouteRecord = { host, target: target.href, tls, source: 'user', createdAt: new Date().toISOString() };
    this.table.upsert(record);
    await this.store.save(this.table.recordsOf('user'));
    try {
      await this.certs.ensure(host, tls);
    } catch (err) {
      // The route stays (it serves as soon as a certificate exists); the caller learns why not yet.
      this.log(`certificate for ${host}: ${errorMessage(err)}`);
      throw err;
    }
    // The next connection may land in a worker: it must already know the route and certificate.
    await this.workers?.sync();
    this.control.broadcast('routes', this.routesView());
    this.log(`exposed https://${host}:${this.options.httpsPort} -> ${target.href}`);
    return this.routeView(record);
  }

  async unexpose(hostInput: string): Promise<{ removed: boolean }> {
    const host = normalizeHost(hostInput);
    if (!this.table.remove('user', host)) {
      const route = this.table.get(host);
      if (route) {
        throw new UserError(`${host} comes from ${route.source === 'label' ? `labels on container ${route.container}` : 'the built-in demo'}, not from expose: remove the labels (or stop that container) instead.`, 'ENOTUSER', 409);
      }
      throw new UserError(`No route for ${host}. See the routes with: container-https routes`, 'ENOROUTE', 404);
    }
    await this.store.save(this.table.recordsOf('user'));
    await this.workers?.sync();
    this.log(`unexposed ${host}`);
    return { removed: true };
  }

  routeView(record: RouteRecord): RouteView {
    const view: RouteView = { ...record, url: httpsUrl(record.host, this.options.httpsPort), status: 'ready' };
    const cert = this.certs.store.get(record.host);
    if (!cert || cert.meta.issuer !== record.tls) {
      view.status = 'pending';
      view.detail = this.certs.isPending(record.host) ? 'certificate being issued' : 'no certificate yet';
      const lastError = cert?.meta.lastError ?? this.acme?.lastError(record.host) ?? this.certs.lastError(record.host);
      if (lastError) view.detail = lastError;
      return view;
    }
    const resolved = this.table.resolve(record.host)?.resolution;
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

  routesView(): RoutesResponse {
    const routes = this.table.list().map((r) => this.routeView(r));
    // Label hosts outside the local CA's names are listed, not served, until the user picks ACME or an alias.
    const held = (this.docker?.heldRoutes() ?? []).filter((h) => !this.table.get(h.record.host));
    if (held.length) {
      routes.push(...held.map((h): RouteView => ({ ...h.record, url: httpsUrl(h.record.host, this.options.httpsPort), status: 'unavailable', detail: h.detail })));
      routes.sort((a, b) => a.host.localeCompare(b.host));
    }
    return { routes };
  }

  status(): DaemonStatus {
    const { options } = this;
    return {
      version: VERSION,
      pid: process.pid,
      stateDir: this.paths.stateDir,
      startedAt: this.startedAt.toISOString(),
      https: { bind: options.bind, port: options.httpsPort, workers: this.workers?.status() ?? { configured: 0, ready: 0, pids: [] } },
      http: options.httpPort !== null ? { bind: options.bind, port: options.httpPort } : null,
      ca: { certFile: this.paths.caCert, fingerprint256: this.certs.ca.fingerprint256(), permittedSuffixes: this.certs.ca.permittedSuffixes },
      docker: this.dockerStatus,
      acme: this.acme?.status() ?? { enabled: false, directory: options.acmeDirectory, email: options.acmeEmail, challenge: options.acmeChallenge },
      problems: this.docker ? [...this.problems, ...this.docker.problems()] : this.problems,
    };
  }

  private registerApi(): void {
    const c = this.control;
    c.on('GET', '/v1/status', () => this.status());
    c.on('GET', '/v1/routes', () => this.routesView());
    c.on('PUT', '/v1/routes/:host', (req) => this.expose(req.params.host, req.body));
    c.on('DELETE', '/v1/routes/:host', (req) => this.unexpose(req.params.host));
    c.on('GET', '/v1/certs', () => ({ certs: this.certs.store.list() }));
    c.on('GET', '/v1/containers', (): ContainersResponse => this.docker?.containers() ?? { connected: false, error: 'Docker discovery is off for this daemon (serve --no-docker).', containers: [] });
    // Trust of the local CA (issue 7): what `ca trust` added and the last verification, live.
    c.on('GET', '/v1/ca', () => caStatus(this.certs.ca));
    c.on('POST', '/v1/ca/check', async () => {
      await verifyAndRecord(this.certs.ca, daemonEndpoint({ https: { bind: this.options.bind, port: this.options.httpsPort } }));
      return caStatus(this.certs.ca);
    });
    this.closers.push(watchTrustRecord(this.paths.caDir, () => c.broadcast('ca', caStatus(this.certs.ca))));
    c.on('POST', '/v1/certs/:host/renew', async (req) => {
      const host = normalizeHost(req.params.host);
      const route = this.table.get(host);
      if (!route) throw new UserError(`No route for ${host}, so there is no certificate to renew.`, 'ENOROUTE', 404);
      const { meta } = await this.certs.issue(host, route.tls);
      await this.workers?.sync();
      return meta;
    });
    c.on('GET', '/v1/events', (req) => {
      const stream = c.openStream(req.res);
      this.idleExit.track(req.res);
      stream.send('status', this.status());
      stream.send('routes', this.routesView());
      stream.send('certs', { certs: this.certs.store.list() });
      if (this.docker) stream.send('containers', this.docker.containers());
      stream.send('ca', caStatus(this.certs.ca));
      return undefined;
    });
    c.on('POST', '/v1/shutdown', () => {
      setTimeout(() => void this.close().then(() => this.emitExit()), 10);
      return { stopping: true };
    });
  }

  /**
   * The state dir was removed under us: the pid lock, CA key and socket are gone, and a new
   * daemon may start for that dir. Stopping (said once) is the only honest answer.
   */
  private stateDirGone(dir: string): void {
    this.log(`state directory ${dir} was removed: stopping. Start serve again to create a new one (a new local CA, which must be trusted again; the routes are gone with it).`);
    this.exitCode = 1;
    void this.close().then(() => this.emitExit());
  }

  /** Set by `serve` so a remote shutdown (or a stop of the daemon's own) ends the process with `exitCode`. */
  onExit?: (exitCode: number) => void;
  private emitExit(): void {
    this.onExit?.(this.exitCode);
  }

  /** Lets other parts of the daemon (Docker, ACME) hook into shutdown. */
  addCloser(fn: () => Promise<void> | void): void {
    this.closers.push(fn);
  }

  private closing?: Promise<void>;
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const fn of this.closers.reverse()) {
        try {
          await fn();
        } catch (err) {
          this.options.log(`while stopping: ${errorMessage(err)}`);
        }
      }
      this.releaseLock?.();
    })();
    return this.closing;
  }
}

import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
// ACME and the Traefik file provider (acme-client, axios, yaml, toml) are loaded only when
// configured: `await import()` stays a lazy init in the esbuild bundle (docs/performance.md, idle footprint).
import type { AcmeService, AcmeSettings } from '../acme/acmeService';
import { CaptureBuffer } from '../capture/captureBuffer';
import type { CaptureSettings } from '../capture/types';
import { CertManager } from '../certs/certManager';
import { CertReconciler } from '../certs/certReconciler';
import { CertStore } from '../certs/certStore';
import { FallbackCerts } from '../certs/fallbackCerts';
import { LocalCa } from '../certs/localCa';
import { DaemonStatus } from '../control/apiTypes';
import { ControlServer } from '../control/controlServer';
import { AutoDomainsMode, portsToProbe } from '../docker/autoDomains';
import { DockerDiscovery } from '../docker/discovery';
import { HttpProbes } from '../docker/httpProbe';
import { ProviderRoutes } from './providerRoutes';
import type { AddressMode } from '../docker/containerResolver';
import { loopbackFor } from '../bindAddress';
import { errorMessage } from '../errors';
import { ensureDir } from '../fsUtil';
import { StatePaths, currentUid, statePaths } from '../paths';
import { ensurePrivateDir } from '../privateDir';
import { PortsWatch } from '../ports/portsWatch';
import { LanService } from '../lan/lanService';
import { HttpListener } from '../proxy/httpListener';
import { ConnectionDispatcher } from '../proxy/connectionDispatcher';
import { HttpsProxy } from '../proxy/httpsProxy';
import { ConnectionTimeouts, DEFAULT_TIMEOUTS } from '../proxy/connectionTimer';
import { snapshotRoutes } from '../routes/routeSnapshot';
import { CHECK_SERVERNAME } from '../trust/checkEndpoint';
import type { PublicHosts } from '../traefik/routerModel';
import { RouteStore } from '../routes/routeStore';
import { RouteTable } from '../routes/routeTable';
import { VERSION } from '../version';
import { registerControlApi } from './controlApi';
import { registerRequestsApi } from './requestsApi';
import { IdleExit } from './idleExit';
import { acquirePidLock } from './lock';
import { oncePerTick } from './oncePerTick';
import { RouteService } from './routeService';
import { watchStateDir } from './stateDirWatch';
import { listenError } from './listenErrors';
import { IdleCompaction } from './idleCompaction';
import { loadNativeHeapTrim, type NativeHeapTrim } from './nativeHeap';
import { WorkerDemand } from './workerDemand';
import { WorkerPool } from './workerPool';
import type { CertPem } from './workerProtocol';

export interface DaemonOptions {
  stateDir: string;
  /** 0 picks a free port. */
  httpsPort: number;
  /** 0 picks a free port; null turns the HTTP listener off. */
  httpPort: number | null;
  bind: string;
  /** Docker discovery; undefined turns it off (serve --no-docker). */
  docker?: DockerSettings;
  demo: boolean;
  /**
   * ACME (Let's Encrypt or another CA): on once a directory or an email is set (--acme-email,
   * --acme-directory). Failure backoff: `retry`, which tests shorten.
   */
  acme?: AcmeSettings;
  backendTimeoutMs: number;
  /** TLS handshake, then each request's headers, must finish within this (default 60 s; serve --header-timeout). */
  headerTimeoutMs?: number;
  /** Keep-alive connections and HTTP/2 sessions with nothing in progress close after this (default 75 s; serve --idle-timeout). */
  idleTimeoutMs?: number;
  /**
   * Proxy worker processes beside the daemon's own (0: the daemon serves every connection).
   * Undefined (serve --workers auto): up to two, on demand (workerOnDemand), when the machine has
   * two or more cores (defaultWorkerCount). A number: that many, running from the start, each
   * taking its turn beside the daemon's own proxy.
   */
  workers?: number;
  /** Restart delays of a crashed worker (tests shorten them). */
  workerRestartMs?: { first: number; max: number };
  /**
   * False: the workers send their request records over the JSON channel, as on Windows, instead
   * of the record pipe (daemon/recordPipe.ts); tests set it to cover that path here.
   */
  workerRecordPipe?: boolean;
  /**
   * With `workers` undefined (auto), or with this set, workers run on demand (up to `workers` or
   * the default count): none while idle, all started when the daemon's connections show load
   * (daemon/workerDemand.ts), each stopped once it has served no connection for quietMs (default
   * 30 s). While one is ready, new connections go to the workers only. Tests shorten it and set
   * the load thresholds.
   */
  workerOnDemand?: { quietMs?: number; connections?: number; busy?: number; sampleMs?: number };
  /** Suffixes for a CA created by this start (an existing CA keeps its own). */
  caSuffixes?: string[];
  /**
   * Stop once no client has listened to GET /v1/events for this long (the editor starts the
   * daemon with it unless containerHttps.proxy.keepRunning is on). Undefined: run until stopped.
   */
  exitWhenIdleMs?: number;
  /**
   * Routers for public names (`Host(\`shop.example.com\`)`): served at `<name>.localhost`
   * (alias, the default), via Let's Encrypt (acme), or listed only (off). serve --public-hosts.
   */
  publicHosts?: PublicHosts;
  /** Traefik file-provider configuration to serve beside the labels: a file or a directory (serve --traefik-dynamic). */
  traefikDynamic?: string;
  /**
   * Automatic container names (serve --auto-domains, whose default is DEFAULT_OPTIONS.autoDomains):
   * `<service>.<project>.localhost` for compose containers, with 'all' `<name>.localhost` for the
   * others too. Undefined here is 'off', so an embedding (or a test) names nothing it did not ask for.
   */
  autoDomains?: AutoDomainsMode;
  /**
   * Routes shared with the LAN (`share HOST`) listen on this interface's address: a name, or
   * `auto` (the default route's). Undefined: no LAN sharing (an embedding, most tests); serve
   * --lan-interface defaults to auto. docs/lan.md.
   */
  lanInterface?: string;
  /** The request inspector's limits (serve records by default; --no-capture). Undefined: nothing is recorded. */
  capture?: CaptureSettings;
  log: (line: string) => void;
}

export interface DockerSettings {
  /** Routes from container labels (serve --no-labels turns them off). */
  labels: boolean;
  /** The engine to watch (else DOCKER_HOST, the current Docker context, the default socket). */
  host?: string;
  /** Container addresses: IP on a reachable network, published host port, or chosen per engine. */
  address?: AddressMode;
}

export const DEFAULT_OPTIONS = {
  httpsPort: 8443,
  httpPort: 8080,
  bind: '127.0.0.1',
  docker: true,
  labels: true,
  demo: false,
  backendTimeoutMs: 30_000,
  publicHosts: 'alias' as PublicHosts,
  autoDomains: 'compose' as AutoDomainsMode,
  lanInterface: 'auto',
};

export const DEMO_HOST = 'demo.localhost';

/** Whether workers start on demand (and the daemon then takes no turn beside them) or run from the start. */
function workersOnDemand(options: DaemonOptions): boolean {
  return options.workers === undefined || options.workerOnDemand !== undefined;
}

/**
 * Two on-demand workers on a machine with two or more cores. Under load the daemon's single
 * thread is the limit (TLS and HTTP for every request), and a second process on a second core
 * raised HTTP/1.1 throughput by about a fifth on the 2-core benchmark machine
 * (docs/performance.md). While on-demand workers run the daemon takes no new connection, so two
 * of them keep two proxy processes busy as one worker beside the daemon did. More is left to
 * --workers: a dev proxy should not claim every core by default.
 */
export function defaultWorkerCount(): number {
  return os.availableParallelism() >= 2 ? 2 : 0;
}

/**
 * One daemon per user and state dir: the wiring. It boots the pieces in order (state dir and pid
 * lock, control socket, CA and certificates, routes, listeners, ACME, Docker, workers), fans
 * every change out in one place (followChanges), and closes them again from one list. The use
 * cases and route views are RouteService's (routeService.ts), the control API's handlers are in
 * controlApi.ts.
 */
export class Daemon {
  readonly paths: StatePaths;
  readonly table = new RouteTable();
  readonly control: ControlServer;
  readonly problems: string[] = [];
  readonly startedAt = new Date();
  /** The ports as bound (port 0 in the options asks the OS for a free one). */
  httpsPort: number;
  httpPort: number | null;
  certs!: CertManager;
  /** Asks for the certificates of routed hosts as the table changes. */
  private reconciler!: CertReconciler;
  /** Expose, unexpose, renew and the route views. */
  routes!: RouteService;
  https!: HttpsProxy;
  http?: HttpListener;
  /** Owns the HTTPS port and deals connections out to this process and the workers. */
  dispatcher!: ConnectionDispatcher;
  workers?: WorkerPool;
  private workerDemand?: WorkerDemand;
  /** Gives the heap a burst grew back once the proxy is quiet (daemon/idleCompaction.ts). */
  private readonly idleCompaction = new IdleCompaction({
    trimNative: this.nativeHeapTrim(),
    compacted: (c) => {
      const occasion = {
        start: 'idle since start',
        load: 'the load is over (workers stopped)',
        quiet: `quiet for ${this.idleCompaction.quietMs / 1000} s`,
      }[c.why];
      const mb = (bytes: number) => Math.round(bytes / 1048576);
      const parts = [
        ...(c.collected ? [`heap compacted from ${mb(c.heapBefore)} to ${mb(c.heapAfter)} MB`] : []),
        ...(c.trimmed === undefined
          ? []
          : [c.trimmed ? 'free native memory given back' : 'no free native memory to give back']),
      ];
      if (parts.length)
        this.log(`${occasion}: ${parts.join(', ')}; resident ${mb(c.rssBefore)} → ${mb(c.rssAfter)} MB`);
    },
  });
  /** Set when ACME is configured (--acme-email or --acme-directory). */
  acme?: AcmeService;
  /** Whether 127.0.0.1:443 reaches us (`ports setup`): then URLs carry no port (ports/portsWatch.ts). */
  ports!: PortsWatch;
  private releaseLock?: () => void;
  private readonly closers: Array<() => Promise<void> | void> = [];
  /** Filled in by the Docker side when discovery is on. */
  dockerStatus: DaemonStatus['docker'];
  docker?: DockerDiscovery;
  /** Routes and the CA shared with the LAN (lan/lanService.ts). */
  lan!: LanService;
  /** The recorded requests of the daemon and its workers, one timeline; undefined when capture is off. */
  capture?: CaptureBuffer;
  /** Where label and file-provider routes are derived. */
  providers?: ProviderRoutes;

  private readonly idleExit: IdleExit;
  /** Settles when boot() has finished; control requests wait for it (ControlServer.holdUntil). */
  private readonly booted: { promise: Promise<void>; resolve: () => void; reject: (err: unknown) => void };
  /** The process exit code once the daemon stopped by itself (1: its state dir was removed). */
  exitCode = 0;

  private constructor(readonly options: DaemonOptions) {
    this.paths = statePaths(options.stateDir);
    this.httpsPort = options.httpsPort;
    this.httpPort = options.httpPort;
    this.idleExit = new IdleExit(options.exitWhenIdleMs, (ms) => {
      this.log(
        `no editor window has used the proxy for ${Math.round(ms / 1000)} s: stopping (routes are kept in routes.json)`,
      );
      this.stopByItself();
    });
    this.control = new ControlServer(this.paths.socket);
    let resolve!: () => void;
    let reject!: (err: unknown) => void;
    const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
    this.booted = { promise, resolve, reject };
    this.control.holdUntil(promise);
    this.dockerStatus = { enabled: !!options.docker, labels: !!options.docker?.labels, connected: false };
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

  /**
   * The compactions' native-heap trim (daemon/nativeHeap.ts): on Linux, loaded at the first
   * compaction, and if it cannot be, that is said once and compactions go on without it.
   */
  private nativeHeapTrim(): (() => boolean | undefined) | undefined {
    if (process.platform !== 'linux') return undefined;
    let loaded: NativeHeapTrim | undefined;
    return () => {
      if (!loaded) {
        loaded = loadNativeHeapTrim();
        if ('unavailable' in loaded) this.log(`free native memory is not given back: ${loaded.unavailable}`);
      }
      return 'trim' in loaded ? loaded.trim() : undefined;
    };
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

    const store = new RouteStore(paths.routesFile);
    const loaded = store.load();
    if (loaded.problem) this.problems.push(loaded.problem);
    for (const p of this.problems) this.log(`problem: ${p}`);
    this.table.replaceSource('user', loaded.routes);
    this.startLan(ca);
    if (options.demo) {
      this.table.replaceSource('demo', [
        {
          host: DEMO_HOST,
          target: 'builtin:demo',
          tls: 'local',
          source: 'demo',
          createdAt: this.startedAt.toISOString(),
        },
      ]);
    }

    // The certificate served to names we have no route for (the 404 page still needs TLS).
    const fallback = await ca.issueLeaf('localhost');
    const defaultCert = { cert: fallback.certPem, key: fallback.keyPem };
    const fallbackCerts = FallbackCerts.forCa(ca);
    const capture = options.capture && (this.capture = new CaptureBuffer(options.capture));
    this.https = new HttpsProxy({
      table: this.table,
      // A pending TLS-ALPN-01 challenge answers for its name first (only for those few seconds).
      contextFor: (name) =>
        this.acme?.challenges.contextFor(name) ?? this.certs.store.get(this.lan.certHostFor(name) ?? name)?.context,
      fallbackContextFor: (name) => fallbackCerts.contextFor(name),
      defaultCert,
      port: options.httpsPort,
      backendTimeoutMs: options.backendTimeoutMs,
      timeouts: this.timeouts(),
      log: (l) => this.log(l),
      lanGate: (address, host) => this.lan.gate.admit(address, host),
      capture: capture && { bodyBytes: options.capture!.bodyBytes, publish: (r) => capture.add(r) },
      closeAfterResponse: workersOnDemand(options) ? () => this.handingOver() : undefined,
    });
    this.closers.push(() => this.https.close());
    this.closers.push(() => this.idleCompaction.close());
    this.dispatcher = new ConnectionDispatcher({
      port: options.httpsPort,
      bind: options.bind,
      local: (socket) => {
        this.workerDemand?.opened(socket);
        this.idleCompaction.opened(socket);
        this.https.accept(socket);
      },
      workers: () => this.workers?.takers() ?? [],
      keepLocal: () => this.keepsConnections(),
      localTakesTurns: !workersOnDemand(options),
    });
    // Port 0 asks the OS for a free port (tests, benchmarks); from here on the real one counts.
    this.httpsPort = await this.dispatcher.listen().catch((err) => {
      throw listenError(
        err,
        'HTTPS',
        options.bind,
        options.httpsPort,
        '--https-port',
        'containerHttps.proxy.httpsPort',
      );
    });
    this.https.port = this.httpsPort;
    this.closers.push(() => this.dispatcher.close());

    if (options.httpPort !== null) {
      const httpPort = options.httpPort;
      this.http = new HttpListener({
        table: this.table,
        port: httpPort,
        bind: options.bind,
        httpsPort: this.httpsPort,
      });
      await this.http.listen().catch((err) => {
        throw listenError(err, 'HTTP', options.bind, httpPort, '--http-port', 'containerHttps.proxy.httpPort');
      });
      this.httpPort = (this.http.server.address() as AddressInfo).port;
      this.closers.push(() => this.http?.close());
    }

    // Before anything builds a URL: with the 443 redirect in place, none carries a port.
    this.ports = new PortsWatch({
      ownPort: () => this.httpsPort,
      caPem: ca.certPem,
      servername: CHECK_SERVERNAME,
      log: (l) => this.log(l),
    });
    this.ports.on('changed', () => this.publicPortChanged());
    // A refusal or our own handshake takes milliseconds; something on 443 that never answers must
    // not hold up the start (its answer, when it comes, still moves every URL).
    await Promise.race([this.ports.check(), new Promise((r) => setTimeout(r, 1000).unref())]);
    this.publicPortChanged();

    if (options.acme?.email || options.acme?.directory) await this.startAcme(options.acme);

    // Certificates for every route we restored, before anyone asks. ACME orders take seconds
    // and need the network, so the renewal scheduler runs them without holding up the start.
    this.reconciler = new CertReconciler({
      certs: this.certs,
      routes: () => this.table.namedRoutes(),
      acmeScheduled: () => !!this.acme,
      log: (l) => this.log(l),
    });
    await this.reconciler.reconcile();
    this.certs.startRenewals(() => this.table.namedRoutes());
    this.closers.push(() => this.certs.stop());
    this.acme?.sync();

    if (options.docker) {
      this.docker = new DockerDiscovery({
        host: options.docker.host,
        addressMode: options.docker.address ?? 'auto',
        labels: options.docker.labels,
        autoDomains: options.autoDomains ?? 'off',
        log: (l) => this.log(l),
      });
    }
    const docker = this.docker;
    this.routes = new RouteService({
      table: this.table,
      store,
      certs: this.certs,
      reconciler: this.reconciler,
      httpsPort: () => this.ports.publicHttpsPort(),
      containerTarget: docker && ((name, port) => docker.containerTarget(name, port)),
      acmeLastError: (host) => this.acme?.lastError(host),
      syncWorkers: () => this.workers?.sync() ?? Promise.resolve(),
      lanShare: (host) => this.lan.shareOf(host),
      log: (l) => this.log(l),
    });
    this.followChanges();
    this.providers = new ProviderRoutes(
      {
        permits: (h) => this.certs.ca.permits(h),
        suffixes: this.certs.ca.permittedSuffixes,
        publicHosts: options.publicHosts ?? DEFAULT_OPTIONS.publicHosts,
        labels: !!options.docker?.labels,
        autoDomains: options.docker ? (options.autoDomains ?? 'off') : 'off',
        // The local CA's own suffix when it may issue for it (it does unless --ca-suffixes left it out).
        autoSuffix: this.certs.ca.permits('x.localhost') ? 'localhost' : this.certs.ca.permittedSuffixes[0],
        publishedOnly: () => this.docker?.publishedOnly(),
      },
      (found) => {
        this.routes.applyProviderRoutes(found);
        this.docker?.setDerived(found.problems, found.autoDomains);
        // As label routes get theirs when the container is created: the name is known already.
        for (const host of found.autoUpcoming) void this.reconciler.ensure(host, 'local').catch(() => undefined);
      },
    );
    if (options.traefikDynamic) await this.startFileProvider(options.traefikDynamic, this.providers);
    if (docker) await this.startDocker(docker, this.providers);
    this.startWorkers(defaultCert, fallbackCerts);

    this.closers.push(
      registerControlApi(this.control, {
        routes: this.routes,
        store: this.certs.store,
        ca,
        caDir: paths.caDir,
        status: () => this.status(),
        ports: this.ports,
        containers: () => this.docker?.containers(),
        https: () => ({ bind: options.bind, port: this.httpsPort }),
        idleExit: this.idleExit,
        shutdown: () => this.stopByItself(),
        lan: this.lan,
        onEvents: registerRequestsApi(this.control, {
          buffer: this.capture,
          bodyBytes: options.capture?.bodyBytes ?? 0,
          replayTarget: () => ({
            address: loopbackFor(options.bind),
            port: this.httpsPort,
            ca: ca.certPem,
            timeoutMs: options.backendTimeoutMs,
          }),
        }),
      }),
    );
    await this.lan.start();
    this.closers.push(() => this.lan.close());
    this.idleExit.arm();
    this.closers.push(() => this.idleExit.stop());
    this.idleCompaction.start();
    this.log(
      `listening on https://${options.bind}:${this.httpsPort}${this.http ? ` and http://${options.bind}:${this.httpPort}` : ''}; control socket ${paths.socket}`,
    );
  }

  /**
   * The one change path. Routes change only in the table (routeService.ts: expose, unexpose,
   * Docker's label routes) and certificates only in the cert store; from here each change fans
   * out: certificates for new routes (certs/certReconciler.ts), the ACME schedule, the workers'
   * copies, and one coalesced 'routes' event for clients.
   */
  private followChanges(): void {
    const broadcastRoutes = oncePerTick(() => this.control.broadcast('routes', this.routes.view()));
    this.table.on('changed', () => {
      void this.reconciler.reconcile();
      this.acme?.sync();
      this.workers?.routesChanged();
      broadcastRoutes();
    });
    this.certs.store.on('changed', (host: string) => {
      this.workers?.certChanged(host, this.certPem(host));
      this.control.broadcast('certs', { certs: this.certs.store.list() });
      broadcastRoutes();
    });
    this.ports.on('changed', () => {
      broadcastRoutes();
      this.control.broadcast('status', this.status());
    });
    // ACME orders retried in the background: routes carry the last error, status the schedule.
    this.acme?.on('changed', () => {
      broadcastRoutes();
      this.control.broadcast('status', this.status());
    });
  }

  /** LAN sharing: its gate and certificate names are needed before the proxy and the first certificates. */
  private startLan(ca: LocalCa): void {
    this.lan = new LanService({
      file: path.join(this.paths.stateDir, 'lan.json'),
      interfaceChoice: this.options.lanInterface,
      bind: this.options.bind,
      ca: { certPem: ca.certPem, fingerprint256: () => ca.fingerprint256(), permittedSuffixes: ca.permittedSuffixes },
      routeOf: (host) => this.table.get(host),
      issueCert: (host) => this.certs.issue(host, 'local'),
      syncWorkers: () => this.workers?.sync() ?? Promise.resolve(),
      accept: (socket) => this.https.accept(socket),
      httpsPort: () => this.httpsPort,
      httpPort: () => this.httpPort,
      changed: () => {
        this.control.broadcast('status', this.status());
        this.control.broadcast('routes', this.routes.view());
      },
      log: (l) => this.log(l),
    });
    this.certs.setAlsoNames((host) => this.lan.extraNamesFor(host));
    for (const p of this.lan.problems) this.log(`problem: ${p}`);
    this.problems.push(...this.lan.problems);
  }

  /** ACME hooked into the certificates, both listeners and the route table. */
  private async startAcme(settings: AcmeSettings): Promise<void> {
    const [{ AcmeService }, { installAlpnCallback }, { pendingResponder }] = await Promise.all([
      import('../acme/acmeService'),
      import('../acme/challenges'),
      import('../acme/pendingPage'),
    ]);
    const acme = new AcmeService(settings, {
      accountDir: this.paths.acmeDir,
      store: this.certs.store,
      hosts: () =>
        this.table
          .list()
          .filter((r) => r.tls === 'acme')
          .map((r) => r.host),
      renew: (host) => this.certs.issue(host, 'acme'),
      httpListener: !!this.http,
      log: (l) => this.log(l),
    });
    this.acme = acme;
    this.certs.setAcmeIssuer(acme.issuer);
    // Challenges first: the pending page and the HTTPS redirect must never shadow a token.
    this.http?.addResponder(acme.challenges.httpResponder);
    this.http?.addResponder(
      pendingResponder(
        this.table,
        this.certs.store,
        (h) => this.certs.isPending(h),
        (h) => acme.lastError(h),
        acme.issuer.caName,
      ),
    );
    if (acme.issuer.opts.challenge === 'tls-alpn-01')
      installAlpnCallback(this.https.server, acme.challenges.alpnCallback);
    for (const p of acme.problems) this.log(`problem: ${p}`);
    this.problems.push(...acme.problems);
    this.closers.push(() => acme.stop());
  }

  /** URLs, pages, redirects and X-Forwarded-Port use the public HTTPS port (443 once redirected). */
  private publicPortChanged(): void {
    const port = this.ports.publicHttpsPort();
    this.https.port = port;
    if (this.http) this.http.httpsPort = port;
    this.workers?.setPort(port);
  }

  private certPem(host: string): CertPem | undefined {
    const stored = this.certs.store.get(host);
    return stored && { host, certPem: stored.certPem, keyPem: stored.keyPem };
  }

  private timeouts(): ConnectionTimeouts {
    return {
      headerTimeoutMs: this.options.headerTimeoutMs ?? DEFAULT_TIMEOUTS.headerTimeoutMs,
      idleTimeoutMs: this.options.idleTimeoutMs ?? DEFAULT_TIMEOUTS.idleTimeoutMs,
    };
  }

  /** The CA's validation connection must meet the challenge certificate, which only we hold. */
  private keepsConnections(): boolean {
    return this.acme?.challenges.tlsAlpnPending ?? false;
  }

  /**
   * While an on-demand worker serves, the daemon's own keep-alive connections move to the workers
   * (see startWorkers): an HTTP/1.1 response it sends then closes its connection.
   */
  private handingOver(): boolean {
    return !!this.workers?.anyReady && !this.keepsConnections();
  }

  /** Proxy workers get the routes as resolved here (container addresses included) and every certificate. */
  private startWorkers(defaultCert: { cert: string; key: string }, fallbackCerts: FallbackCerts): void {
    const count = this.options.workers ?? defaultWorkerCount();
    if (!count) return;
    const onDemand = workersOnDemand(this.options);
    const demand = this.options.workerOnDemand ?? {};
    const workers = new WorkerPool({
      count,
      onDemand: onDemand ? { quietMs: demand.quietMs ?? 30_000 } : undefined,
      port: this.ports.publicHttpsPort(),
      backendTimeoutMs: this.options.backendTimeoutMs,
      timeouts: this.timeouts(),
      defaultCert,
      routes: () => snapshotRoutes(this.table),
      certs: () => this.certs.store.list().flatMap((meta) => this.certPem(meta.host) ?? []),
      fallback: (host) => fallbackCerts.pemFor(host),
      log: (l) => this.log(l),
      restartDelayMs: this.options.workerRestartMs,
      // What the daemon serves during a load stays in its memory after it (glibc's heap, V8's old
      // space), while a worker's goes when it stops. So once a worker serves, the connections the
      // daemon accepted before move to the workers: HTTP/2 sessions get GOAWAY, HTTP/1.1
      // connections close after their next response, and their clients reconnect, to a worker
      // (docs/performance.md, "Seventh pass").
      onReady: onDemand
        ? () => {
            if (this.handingOver()) this.https.drainSessions();
          }
        : undefined,
      // The load is over: the daemon's heap holds what the workers' records for the inspector left.
      onIdle: () => this.idleCompaction.loadEnded(),
      capture: this.capture && {
        bodyBytes: this.options.capture!.bodyBytes,
        onRecords: (records) => this.capture?.addEncoded(records),
        pipe: this.options.workerRecordPipe,
      },
    });
    this.workers = workers;
    if (onDemand) this.workerDemand = new WorkerDemand({ ...demand, grow: () => workers.grow() });
    this.closers.push(() => {
      // No connection may be dealt to a worker that is on its way out.
      this.dispatcher.close();
      this.workerDemand?.close();
      return workers.close();
    });
    workers.start();
  }

  /** Docker discovery: container targets resolve from the engine's live model; its label routes go through the route service. */
  private async startDocker(docker: DockerDiscovery, providers: ProviderRoutes): Promise<void> {
    this.table.setContainerResolver(docker.resolver);
    const mode = this.options.autoDomains ?? 'off';
    // Automatic names of containers with several ports: which ones speak HTTP is asked once per
    // start (docker/httpProbe.ts), and the answers are derived with the models.
    const probes =
      mode === 'off'
        ? undefined
        : new HttpProbes({
            address: (c, port) => docker.probeAddress(c, port),
            wanted: (c) => portsToProbe(c, mode, docker.publishedOnly()),
          });
    if (probes) {
      probes.on('changed', () => providers.setProbes(probes.results()));
      this.addCloser(() => probes.close());
    }
    docker.on('models', (models) => {
      probes?.sync(models);
      providers.setContainers(models);
    });
    docker.on('status', () => {
      this.dockerStatus = docker.status();
      this.control.broadcast('status', this.status());
    });
    docker.on('containers', (c) => this.control.broadcast('containers', c));
    this.addCloser(() => docker.close());
    await docker.start();
    this.dockerStatus = docker.status();
  }

  /**
   * Traefik's file provider (serve --traefik-dynamic): a bad edit keeps the file's last good
   * configuration serving, and the error (file, line, key) is in the status until it is fixed.
   */
  private async startFileProvider(target: string, providers: ProviderRoutes): Promise<void> {
    const { TraefikFileProvider } = await import('../traefik/fileProvider');
    const files = new TraefikFileProvider(target);
    let before = '';
    files.on('config', (snapshot) => {
      providers.setFile(snapshot);
      const now = JSON.stringify(snapshot.problems);
      if (now === before) return;
      before = now;
      for (const p of snapshot.problems) this.log(`--traefik-dynamic: ${p}`);
      this.control.broadcast('status', this.status());
    });
    providers.setFile(await files.start());
    this.addCloser(() => files.close());
  }

  status(): DaemonStatus {
    const { options } = this;
    return {
      version: VERSION,
      pid: process.pid,
      stateDir: this.paths.stateDir,
      startedAt: this.startedAt.toISOString(),
      https: {
        bind: options.bind,
        port: this.httpsPort,
        workers: this.workers?.status() ?? { configured: 0, ready: 0, pids: [] },
      },
      http: this.httpPort !== null ? { bind: options.bind, port: this.httpPort } : null,
      ca: {
        certFile: this.paths.caCert,
        fingerprint256: this.certs.ca.fingerprint256(),
        permittedSuffixes: this.certs.ca.permittedSuffixes,
      },
      docker: this.dockerStatus,
      acme: this.acme?.status() ?? {
        enabled: false,
        directory: options.acme?.directory,
        email: options.acme?.email,
        challenge: options.acme?.challenge,
      },
      ports: this.ports.status(),
      lan: this.lan.status(),
      problems: [...this.problems, ...(this.docker?.problems() ?? []), ...(this.providers?.fileProblems() ?? [])],
    };
  }

  /**
   * The state dir was removed under us: the pid lock, CA key and socket are gone, and a new
   * daemon may start for that dir. Stopping (said once) is the only honest answer.
   */
  private stateDirGone(dir: string): void {
    this.log(
      `state directory ${dir} was removed: stopping. Start serve again to create a new one (a new local CA, which must be trusted again; the routes are gone with it).`,
    );
    this.exitCode = 1;
    this.stopByItself();
  }

  /** Set by `serve` so a remote shutdown (or a stop of the daemon's own) ends the process with `exitCode`. */
  onExit?: (exitCode: number) => void;
  /** A stop the daemon decided (idle, shutdown request, state dir gone): `serve` then exits. */
  private stopByItself(): void {
    void this.close().then(() => this.onExit?.(this.exitCode));
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

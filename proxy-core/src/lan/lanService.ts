import * as bcrypt from 'bcryptjs';
import type * as net from 'node:net';
import { UserError, errorMessage } from '../errors';
import { hostMatchesSuffix, httpsUrl, normalizeHost } from '../routes/hostName';
import type { RouteRecord } from '../routes/types';
import { CaShare, DEFAULT_DOWNLOADS, DEFAULT_MINUTES } from './caShare';
import { findLanInterface } from './lanInterface';
import { LanGate } from './lanGate';
import { lanHttpHandler } from './lanHttp';
import { LanListeners } from './lanListeners';
import { lanNameFor } from './lanName';
import { LanShareStore, StoredShare } from './lanShareStore';
import type { MdnsResponder } from './mdnsResponder';
import type { CaShareInfo, LanInterface, LanShareView, LanStatus } from './types';

export interface LanServiceDeps {
  /** lan.json in the state dir. */
  file: string;
  /** serve --lan-interface (`auto` or a name); undefined: no LAN sharing in this daemon. */
  interfaceChoice?: string;
  /** The loopback listeners' --bind; LAN sharing needs it to be a loopback address (lanGate.ts). */
  bind: string;
  ca: { certPem: string; fingerprint256: () => string; permittedSuffixes: string[] };
  /** The first route of a host (the route table's get). */
  routeOf: (host: string) => RouteRecord | undefined;
  /** Issues the host's local certificate again, now carrying its LAN name too. */
  issueCert: (host: string) => Promise<unknown>;
  syncWorkers: () => Promise<void>;
  /** The daemon's own HttpsProxy.accept: LAN connections never go to a worker, which has no gate. */
  accept: (socket: net.Socket) => void;
  httpsPort: () => number;
  httpPort: () => number | null;
  /** Shares, listeners or the CA share changed (status and route events). */
  changed: () => void;
  log: (line: string) => void;
  /** How often the interface's address is checked while something is shared (ms). */
  watchMs?: number;
  /** Tests only: another mDNS port than 5353. */
  mdnsPort?: number;
}

const LOOPBACK_BIND = /^(127\.|::1$|localhost$)/;

/**
 * Routes and the CA shared with the LAN (docs/lan.md). Nothing listens on the LAN until the
 * first share; then listeners on the chosen interface's address (lanListeners.ts), the mDNS
 * responder for the `.local` names (mdnsResponder.ts) and the gate that lets LAN clients reach
 * shared routes only (lanGate.ts). After the last unshare (and when a CA share ends) all of it
 * closes again.
 */
export class LanService {
  readonly gate: LanGate;
  readonly problems: string[] = [];
  private shares: StoredShare[];
  private readonly store: LanShareStore;
  private readonly listeners: LanListeners;
  private readonly caShare: CaShare;
  private mdns?: { responder: MdnsResponder; announced: LanInterface };
  /** Why the mDNS responder could not start (port 5353 taken without sharing): the routes still listen. */
  private mdnsError?: string;
  /** The interface as last found (IPv6 included, whether or not it could be bound). */
  private found?: LanInterface;
  private watch?: NodeJS.Timeout;
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly deps: LanServiceDeps) {
    this.gate = new LanGate(this.enabled);
    this.store = new LanShareStore(deps.file);
    const loaded = this.store.load();
    if (loaded.problem) this.problems.push(loaded.problem);
    this.shares = loaded.shares;
    this.gate.setShares(this.shares);
    this.caShare = new CaShare(
      { caPem: deps.ca.certPem, fingerprint256: deps.ca.fingerprint256(), suffixes: deps.ca.permittedSuffixes },
      () => {
        deps.log('CA share ended');
        void this.reconcile().catch(() => undefined);
      },
    );
    this.listeners = new LanListeners({
      https: (socket) => deps.accept(socket),
      http: lanHttpHandler({ caShare: this.caShare, gate: this.gate, httpsPort: deps.httpsPort }),
    });
  }

  private get enabled(): boolean {
    return this.deps.interfaceChoice !== undefined && LOOPBACK_BIND.test(this.deps.bind);
  }

  /** The LAN names a host's certificate carries besides its own (CertManager's extra names). */
  extraNamesFor(host: string): string[] {
    return this.shares.filter((s) => s.host === host).map((s) => s.name);
  }

  /** The routed host whose certificate answers for an SNI name (`app.local`). */
  certHostFor(servername: string): string | undefined {
    return this.gate.certHostFor(servername);
  }

  /** After boot: the shares restored from lan.json go back on the LAN (a failure is logged, the shares kept). */
  async start(): Promise<void> {
    if (!this.shares.length || !this.enabled) return;
    await this.reconcile().catch((err) => {
      const problem = `the ${this.shares.length} shared route(s) are not on the LAN: ${errorMessage(err)}`;
      this.problems.push(problem);
      this.deps.log(`problem: ${problem}`);
    });
  }

  async share(hostInput: string, body: unknown): Promise<LanShareView> {
    this.assertEnabled();
    const host = normalizeHost(hostInput);
    const auth = checkShareBody(body);
    const route = this.deps.routeOf(host);
    if (!route)
      throw new UserError(
        `No route for ${host}: expose it first (container-https expose ${host} TARGET), then share it.`,
        'ENOROUTE',
        404,
      );
    if (route.tls !== 'local')
      throw new UserError(
        `${host} has a Let's Encrypt certificate: only routes with the local CA can be shared on the LAN (their .local name is under the same CA).`,
        'ELANTLS',
        409,
      );
    const name = lanNameFor(host, this.deps.ca.permittedSuffixes);
    if (!this.deps.ca.permittedSuffixes.some((suffix) => hostMatchesSuffix(name, suffix)))
      throw new UserError(
        `The local CA cannot vouch for ${name}: it was created for ${this.deps.ca.permittedSuffixes.join(', ')} only (serve --ca-suffixes). A CA that includes local is needed to share routes on the LAN.`,
        'ELANNAME',
        409,
      );
    const clash = this.shares.find((s) => s.name === name && s.host !== host);
    if (clash)
      throw new UserError(
        `${name} is already the LAN name of ${clash.host}: unshare that first (container-https unshare ${clash.host}).`,
        'ELANCLASH',
        409,
      );
    if (name !== host && this.deps.routeOf(name))
      throw new UserError(
        `${name} is a route of its own on this machine, so ${host} cannot take it as its LAN name: remove that route or share it instead.`,
        'ELANCLASH',
        409,
      );
    const share: StoredShare = {
      host,
      name,
      createdAt: this.shares.find((s) => s.host === host)?.createdAt ?? new Date().toISOString(),
      ...(auth ? { auth: { user: auth.user, hash: await bcrypt.hash(auth.password, 10) } } : {}),
    };
    const before = this.shares;
    this.setShares([...this.shares.filter((s) => s.host !== host), share]);
    try {
      await this.reconcile();
    } catch (err) {
      this.setShares(before);
      await this.reconcile().catch(() => undefined);
      throw new UserError(`${host} could not be shared on the LAN: ${errorMessage(err)}`, 'ELANLISTEN');
    }
    await this.store.save(this.shares);
    // The certificate must carry app.local before a phone asks for it.
    await this.deps
      .issueCert(host)
      .catch((err) => this.deps.log(`certificate for ${host} (${name}): ${errorMessage(err)}`));
    await this.deps.syncWorkers();
    this.deps.log(
      `shared ${host} on the LAN as ${httpsUrl(name, this.deps.httpsPort())}${share.auth ? ' (basic auth)' : ''}`,
    );
    this.deps.changed();
    return this.view(share);
  }

  async unshare(hostInput: string): Promise<{ removed: boolean }> {
    const host = normalizeHost(hostInput);
    const share = this.shares.find((s) => s.host === host || s.name === host);
    if (!share)
      throw new UserError(`${host} is not shared on the LAN. See what is: container-https status`, 'ENOSHARE', 404);
    this.setShares(this.shares.filter((s) => s !== share));
    await this.store.save(this.shares);
    await this.reconcile().catch((err) => this.deps.log(`LAN: ${errorMessage(err)}`));
    this.deps.log(`stopped sharing ${share.host} (${share.name}) on the LAN`);
    this.deps.changed();
    return { removed: true };
  }

  async startCaShare(body: unknown): Promise<CaShareInfo> {
    this.assertEnabled();
    const b = (body ?? {}) as { minutes?: unknown; downloads?: unknown };
    const minutes = b.minutes ?? DEFAULT_MINUTES;
    const downloads = b.downloads ?? DEFAULT_DOWNLOADS;
    if (typeof minutes !== 'number' || !(minutes > 0 && minutes <= 60))
      throw new UserError(`"minutes" must be a number above 0 and at most 60.`, 'EBODY');
    if (typeof downloads !== 'number' || !Number.isInteger(downloads) || downloads < 1 || downloads > 100)
      throw new UserError(`"downloads" must be a whole number from 1 to 100.`, 'EBODY');
    const httpPort = this.deps.httpPort();
    if (httpPort === null)
      throw new UserError(
        'The CA is shared over plain HTTP (a phone does not trust HTTPS yet), and this daemon has no HTTP port (serve --no-http): restart serve with --http-port.',
        'ENOHTTP',
      );
    const iface = this.findInterface();
    const info = this.caShare.start(`http://${iface.ipv4}${httpPort === 80 ? '' : `:${httpPort}`}`, minutes, downloads);
    try {
      await this.reconcile();
    } catch (err) {
      this.caShare.stop();
      await this.reconcile().catch(() => undefined);
      throw new UserError(`The CA could not be shared on the LAN: ${errorMessage(err)}`, 'ELANLISTEN');
    }
    this.deps.log(`CA shared on the LAN until ${info.expiresAt} (${downloads} download(s))`);
    this.deps.changed();
    return info;
  }

  shareOf(host: string): LanShareView | undefined {
    const share = this.shares.find((s) => s.host === host);
    return share && this.view(share);
  }

  status(): LanStatus {
    const found = this.deps.interfaceChoice === undefined ? undefined : findLanInterface(this.deps.interfaceChoice);
    return {
      enabled: this.enabled,
      interfaceChoice: this.deps.interfaceChoice,
      interface: found?.ok ? found.iface : undefined,
      interfaceError: found && !found.ok ? found.reason : this.enabledError(),
      listening: this.listeners.listening,
      httpsPort: this.deps.httpsPort(),
      httpPort: this.deps.httpPort(),
      shares: this.shares.map((s) => this.view(s)),
      caShare: this.caShare.info(),
      ...(this.mdnsError ? { mdnsError: this.mdnsError } : {}),
    };
  }

  close(): Promise<void> {
    this.closed = true;
    this.caShare.stop();
    return this.reconcile();
  }

  private view(s: StoredShare): LanShareView {
    return {
      host: s.host,
      name: s.name,
      url: httpsUrl(s.name, this.deps.httpsPort()),
      createdAt: s.createdAt,
      ...(s.auth ? { authUser: s.auth.user } : {}),
    };
  }

  private setShares(shares: StoredShare[]): void {
    this.shares = shares;
    this.gate.setShares(shares);
  }

  private enabledError(): string | undefined {
    if (this.deps.interfaceChoice === undefined) return 'LAN sharing is off for this daemon';
    if (!LOOPBACK_BIND.test(this.deps.bind))
      return `serve --bind ${this.deps.bind} already listens beyond loopback, so LAN sharing (which admits LAN clients to shared routes only) is off`;
    return undefined;
  }

  private assertEnabled(): void {
    const why = this.enabledError();
    if (why)
      throw new UserError(
        `${why}: start serve with the default --bind 127.0.0.1 (and --lan-interface auto|IF).`,
        'ELANOFF',
        409,
      );
  }

  private findInterface(): LanInterface {
    const found = findLanInterface(this.deps.interfaceChoice ?? 'auto');
    if (!found.ok) throw new UserError(`No LAN interface: ${found.reason}.`, 'ENOLAN');
    return found.iface;
  }

  /** Brings listeners and mDNS in line with what is shared (one at a time). */
  private reconcile(): Promise<void> {
    const run = this.queue.then(() => this.apply());
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async apply(): Promise<void> {
    const wanted = !this.closed && (this.shares.length > 0 || !!this.caShare.info());
    if (!wanted) {
      clearInterval(this.watch);
      this.watch = undefined;
      return this.offTheLan();
    }
    let iface: LanInterface;
    try {
      iface = this.findInterface();
    } catch (err) {
      // The interface went away (Wi-Fi off): nothing stays bound to a stale address; the watch
      // brings the shares back when it returns.
      await this.offTheLan();
      throw err;
    }
    const addresses = [iface.ipv4, ...(iface.ipv6 ? [iface.ipv6] : [])];
    const previous = this.found;
    this.found = iface;
    if (!this.listeners.listening || !previous || !sameInterface(previous, iface)) {
      if (this.listeners.listening) this.deps.log(`LAN address of ${iface.name} is now ${addresses.join(', ')}`);
      try {
        await this.listeners.start(addresses, this.deps.httpsPort(), this.deps.httpPort());
      } catch (err) {
        if (addresses.length === 1) throw err;
        // An IPv6 address that cannot be bound (still tentative, say) must not keep IPv4 phones out.
        this.deps.log(`LAN: not on ${addresses[1]} (${errorMessage(err)}); IPv4 only`);
        await this.listeners.start([iface.ipv4], this.deps.httpsPort(), this.deps.httpPort());
      }
      this.deps.log(`listening on the LAN: ${this.listeners.bound.join(', ')} (${iface.name})`);
    }
    // mDNS announces only the addresses something listens on.
    const announced: LanInterface = this.listeners.isOn(addresses) ? iface : { name: iface.name, ipv4: iface.ipv4 };
    const names = this.shares.map((s) => s.name);
    if (this.mdns && this.mdns.announced.ipv4 !== announced.ipv4) {
      // The socket joined the group on the old address: a new one for the new address (the old
      // one's goodbye is best effort, that address may be gone already).
      const old = this.mdns;
      this.mdns = undefined;
      await old.responder.close().catch(() => undefined);
    }
    if (names.length && !this.mdns) {
      // Loaded on first use: most daemons never share anything on the LAN (docs/performance.md, "Footprint").
      const { MdnsResponder } = await import('./mdnsResponder');
      const responder = new MdnsResponder({ iface: announced, log: this.deps.log, port: this.deps.mdnsPort });
      try {
        await responder.start();
        this.mdns = { responder, announced };
        this.mdnsError = undefined;
      } catch (err) {
        await responder.close().catch(() => undefined);
        if (!this.mdnsError)
          this.deps.log(`mDNS: ${errorMessage(err)}; phones will not find the .local names (retrying)`);
        this.mdnsError = `mDNS could not start (${errorMessage(err)}): the .local names do not resolve on the LAN`;
      }
    } else if (this.mdns && !sameInterface(this.mdns.announced, announced)) {
      this.mdns.responder.setInterface(announced);
      this.mdns.announced = announced;
    }
    if (!names.length && this.mdns) {
      const mdns = this.mdns;
      this.mdns = undefined;
      await mdns.responder.close();
    }
    this.mdns?.responder.setNames(names);
    this.watch ??= setInterval(() => void this.addressCheck(), this.deps.watchMs ?? 3000).unref();
  }

  private async offTheLan(): Promise<void> {
    const mdns = this.mdns;
    this.mdns = undefined;
    await mdns?.responder.close();
    await this.listeners.stop();
    this.found = undefined;
  }

  /** The LAN address moved (DHCP, another Wi-Fi): listeners move with it and mDNS re-announces. */
  private async addressCheck(): Promise<void> {
    const found = findLanInterface(this.deps.interfaceChoice ?? 'auto');
    const now = found.ok ? found.iface : undefined;
    const moved = now?.ipv4 !== this.found?.ipv4 || now?.ipv6 !== this.found?.ipv6;
    if (!moved && !this.mdnsError) return;
    await this.reconcile().catch((err) => this.deps.log(`LAN: ${errorMessage(err)}; retrying`));
    if (moved) this.deps.changed();
  }
}

function sameInterface(a: LanInterface, b: LanInterface): boolean {
  return a.name === b.name && a.ipv4 === b.ipv4 && a.ipv6 === b.ipv6;
}

function checkShareBody(body: unknown): { user: string; password: string } | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body !== 'object') throw new UserError('The share request must be a JSON object.', 'EBODY');
  const auth = (body as { auth?: unknown }).auth;
  if (auth === undefined) return undefined;
  const a = auth as { user?: unknown; password?: unknown };
  if (typeof a?.user !== 'string' || typeof a.password !== 'string' || !a.user || !a.password || a.user.includes(':'))
    throw new UserError(
      '"auth" must be {user, password}: a user without a colon and a password, both non-empty.',
      'EBODY',
    );
  return { user: a.user, password: a.password };
}

import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import { errorMessage } from '../errors';
import { ModeledContainer, RawContainer, modelContainer } from './containerModel';
import { DockerEndpoint } from './dockerEndpoint';
import { Engine, EngineFacts, connectEngine, describeConnectError } from './engineClient';

export interface WatcherStatus {
  connected: boolean;
  endpoint: string;
  error?: string;
  engine?: EngineFacts;
}

export interface WatcherOptions {
  endpoint: DockerEndpoint;
  log: (line: string) => void;
  /** Reconnect delays grow from min to max; reset after a successful sync. */
  backoffMs?: { min: number; max: number };
  requestTimeoutMs?: number;
}

/** Container events that can change what we model; exec_*, attach, top and the like cannot. */
const CONTAINER_ACTIONS = new Set([
  'create',
  'start',
  'restart',
  'stop',
  'die',
  'kill',
  'destroy',
  // Podman's name for destroy.
  'remove',
  'rename',
  'pause',
  'unpause',
  'update',
  'oom',
]);

interface EngineEvent {
  Type?: string;
  Action?: string;
  status?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

/**
 * Keeps a model of the engine's containers current: one list call, then the events stream —
 * no polling. Events only name what changed; each burst is re-read with one filtered list
 * call, in order, so the model is never older than the event that triggered it. When the
 * stream drops (engine restart, socket gone) it reconnects with backoff and resynchronises.
 *
 * Emits 'changed' (ids: string[]) after the model changed, 'status' (WatcherStatus).
 */
export class DockerWatcher extends EventEmitter {
  private readonly containers = new Map<string, ModeledContainer>();
  private readonly networkDrivers = new Map<string, string>();
  private engine?: Engine;
  private stream?: Readable;
  private closed = false;
  private attempt = 0;
  private retryTimer?: NodeJS.Timeout;
  private readonly dirty = new Set<string>();
  private networksDirty = false;
  /** Network names re-read once because a container was on them before we knew them. */
  private readonly networksLookedUp = new Set<string>();
  /** Per container id, what its config says and the engine's list leaves out (Podman: see completed()). */
  private readonly configs = new Map<
    string,
    { exposed: Array<{ PrivatePort: number; Type: string }>; networkMode?: string }
  >();
  private draining?: Promise<void>;
  private current: WatcherStatus;
  private firstSync?: Promise<void>;

  constructor(private readonly opts: WatcherOptions) {
    super();
    this.current = { connected: false, endpoint: opts.endpoint.url };
  }

  get status(): WatcherStatus {
    return this.current;
  }

  get facts(): EngineFacts | undefined {
    return this.engine?.facts;
  }

  list(): ModeledContainer[] {
    return [...this.containers.values()];
  }

  get(id: string): ModeledContainer | undefined {
    return this.containers.get(id);
  }

  /** TCP ports from the container's configuration (exposed by the image or at create). */
  async exposedPorts(id: string): Promise<number[]> {
    if (!this.engine) return [];
    const inspect = (await this.engine.docker.getContainer(id).inspect()) as {
      Config?: { ExposedPorts?: Record<string, unknown> | null };
    };
    return Object.keys(inspect.Config?.ExposedPorts ?? {})
      .filter((k) => k.endsWith('/tcp'))
      .map((k) => Number(k.split('/')[0]));
  }

  /**
   * Reads one container now, by name or id, instead of waiting for its events: Podman sends a
   * container's create event only when it starts, hundreds of milliseconds after the create.
   */
  async lookup(nameOrId: string): Promise<ModeledContainer | undefined> {
    if (!this.engine) return undefined;
    let id: string;
    try {
      id = ((await this.engine.docker.getContainer(nameOrId).inspect()) as { Id: string }).Id;
    } catch {
      return undefined;
    }
    await this.refresh([id]);
    return this.containers.get(id);
  }

  driverOf(network: string): string | undefined {
    return this.networkDrivers.get(network);
  }

  /** Resolves after the first connection attempt, whether it worked or not. */
  start(): Promise<void> {
    this.firstSync ??= this.connect();
    return this.firstSync;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.stream?.destroy();
    await this.draining?.catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    try {
      const engine = await connectEngine(this.opts.endpoint, this.opts.requestTimeoutMs ?? 5000);
      if (this.closed) return;
      this.engine = engine;
      // Subscribe before listing: an event that happens during the list is then re-read after it.
      const stream = (await engine.docker.getEvents({
        filters: { type: ['container', 'network'] },
      })) as unknown as Readable;
      if (this.closed) {
        stream.destroy();
        return;
      }
      this.stream = stream;
      this.consume(stream);
      await this.resync();
      this.attempt = 0;
      this.setStatus({ connected: true, endpoint: this.opts.endpoint.url, engine: engine.facts });
      this.opts.log(
        `docker: connected to ${this.opts.endpoint.url} (${this.opts.endpoint.source}), API ${engine.facts.apiVersion}, ${this.containers.size} containers`,
      );
    } catch (err) {
      this.stream?.destroy();
      this.stream = undefined;
      const message =
        err instanceof Error && err.message.startsWith('Docker engine at ')
          ? err.message
          : describeConnectError(this.opts.endpoint, err);
      this.disconnected(message);
    }
  }

  private consume(stream: Readable): void {
    let buffer = '';
    stream.setEncoding?.('utf8');
    stream.on('data', (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) !== -1) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (line) this.onEvent(line);
      }
    });
    const ended = (why: string) => {
      if (this.stream !== stream) return;
      this.stream = undefined;
      if (!this.closed)
        this.disconnected(
          `Docker engine at ${this.opts.endpoint.url} (${this.opts.endpoint.source}) closed the events stream (${why}); reconnecting.`,
        );
    };
    stream.on('end', () => ended('engine stopped or restarted'));
    stream.on('close', () => ended('connection closed'));
    stream.on('error', (err) => ended(errorMessage(err)));
  }

  private onEvent(line: string): void {
    let ev: EngineEvent;
    try {
      ev = JSON.parse(line);
    } catch {
      return;
    }
    const action = ev.Action ?? ev.status ?? '';
    if (ev.Type === 'network') {
      // Docker names the network as the actor and the container in an attribute; Podman makes
      // the container the actor (and sends no network create/destroy: see refresh()).
      const actor = ev.Actor?.ID;
      const container = ev.Actor?.Attributes?.container ?? (actor && this.containers.has(actor) ? actor : undefined);
      if ((action === 'connect' || action === 'disconnect') && container) this.markDirty(container);
      if (action === 'create' || action === 'destroy') {
        this.networksDirty = true;
        this.schedule();
      }
      return;
    }
    const id = ev.Actor?.ID ?? ev.id;
    if (!id) return;
    if (!CONTAINER_ACTIONS.has(action) && !action.startsWith('health_status')) return;
    this.applyAtOnce(id, action, ev.Actor?.Attributes ?? {});
    this.markDirty(id);
  }

  /**
   * A container that stops must stop being routed now, not after the re-read: a request sent
   * to an address that just vanished waits for the backend timeout instead of getting the 503.
   */
  private applyAtOnce(id: string, action: string, attributes: Record<string, string>): void {
    const c = this.containers.get(id);
    if (!c) return;
    let state: ModeledContainer['info']['state'] | undefined;
    let status = c.info.status;
    if (action === 'die') {
      state = 'exited';
      status = `Exited (${attributes.exitCode ?? '?'}) just now`;
    } else if (action === 'pause') {
      state = 'paused';
    } else if (action === 'destroy' || action === 'remove') {
      this.containers.delete(id);
      this.configs.delete(id);
      this.emit('changed', [id]);
      return;
    }
    if (!state || c.info.state === state) return;
    this.containers.set(id, { ...c, info: { ...c.info, state, status } });
    this.emit('changed', [id]);
  }

  private markDirty(id: string): void {
    this.dirty.add(id);
    this.schedule();
  }

  /** One drain at a time keeps re-reads in event order; a burst becomes one list call. */
  private schedule(): void {
    if (this.draining) return;
    this.draining = (async () => {
      while ((this.dirty.size || this.networksDirty) && !this.closed && this.engine) {
        const ids = [...this.dirty];
        this.dirty.clear();
        const networks = this.networksDirty;
        this.networksDirty = false;
        try {
          if (networks) await this.readNetworks();
          if (ids.length) await this.refresh(ids);
        } catch (err) {
          // The stream will drop too if the engine went away; then a resync repairs everything.
          this.opts.log(`docker: re-reading ${ids.length} container(s) failed: ${errorMessage(err)}`);
        }
      }
    })().finally(() => {
      this.draining = undefined;
      if ((this.dirty.size || this.networksDirty) && !this.closed) this.schedule();
    });
  }

  private async refresh(ids: string[]): Promise<void> {
    const raws = await this.completed(
      (await this.engine!.docker.listContainers({
        all: true,
        filters: { id: ids },
      })) as unknown as RawContainer[],
    );
    const found = new Map(raws.map((r) => [r.Id, r]));
    const changed: string[] = [];
    for (const id of ids) {
      const raw = found.get(id) ?? raws.find((r) => r.Id.startsWith(id));
      if (raw) {
        this.containers.set(raw.Id, modelContainer(raw));
        changed.push(raw.Id);
      } else if (this.containers.delete(id)) {
        changed.push(id);
      }
    }
    if (changed.length) this.emit('changed', changed);
    // Podman sends no event when a network is created: a network first seen on a container is
    // looked up once (so its driver is known), without a list call on every re-read after.
    const unseen = raws.flatMap((r) =>
      Object.keys(r.NetworkSettings?.Networks ?? {}).filter(
        (n) => !this.networkDrivers.has(n) && !this.networksLookedUp.has(n),
      ),
    );
    if (unseen.length) {
      for (const n of unseen) this.networksLookedUp.add(n);
      this.networksDirty = true;
    }
  }

  /**
   * Podman's list reports only published ports and no network mode, where Docker's also lists
   * exposed ports: there each container's config is read once (it is fixed for the container's
   * lifetime) and merged in, so both engines give the same model.
   */
  private async completed(raws: RawContainer[]): Promise<RawContainer[]> {
    if (this.engine?.facts.listsExposedPorts !== false) return raws;
    const docker = this.engine.docker;
    const missing = raws.filter((r) => !this.configs.has(r.Id));
    await Promise.all(
      missing.map(async (r) => {
        try {
          const inspect = (await docker.getContainer(r.Id).inspect()) as {
            Config?: { ExposedPorts?: Record<string, unknown> | null };
            HostConfig?: { NetworkMode?: string };
          };
          const exposed = Object.keys(inspect.Config?.ExposedPorts ?? {}).flatMap((k) => {
            const [port, type] = k.split('/');
            return /^\d+$/.test(port) ? [{ PrivatePort: Number(port), Type: type || 'tcp' }] : [];
          });
          this.configs.set(r.Id, { exposed, networkMode: inspect.HostConfig?.NetworkMode });
        } catch {
          // Removed meanwhile: its destroy event follows.
        }
      }),
    );
    return raws.map((r) => {
      const config = this.configs.get(r.Id);
      if (!config) return r;
      const ports = r.Ports ?? [];
      const extra = config.exposed.filter(
        (e) => !ports.some((p) => p.PrivatePort === e.PrivatePort && (p.Type ?? 'tcp') === e.Type),
      );
      return {
        ...r,
        Ports: [...ports, ...extra],
        HostConfig: r.HostConfig ?? (config.networkMode ? { NetworkMode: config.networkMode } : undefined),
      };
    });
  }

  private async readNetworks(): Promise<void> {
    const nets = (await this.engine!.docker.listNetworks()) as Array<{ Name: string; Driver?: string }>;
    this.networkDrivers.clear();
    for (const n of nets) this.networkDrivers.set(n.Name, n.Driver ?? '');
  }

  private async resync(): Promise<void> {
    const [listed] = await Promise.all([
      this.engine!.docker.listContainers({ all: true }) as unknown as Promise<RawContainer[]>,
      this.readNetworks(),
    ]);
    this.configs.clear();
    const raws = await this.completed(listed);
    const before = new Set(this.containers.keys());
    this.containers.clear();
    for (const raw of raws) this.containers.set(raw.Id, modelContainer(raw));
    const ids = new Set([...before, ...this.containers.keys()]);
    this.emit('changed', [...ids]);
  }

  private disconnected(error: string): void {
    const was = this.current;
    this.setStatus({ connected: false, endpoint: this.opts.endpoint.url, error, engine: this.engine?.facts });
    if (was.connected || was.error !== error) this.opts.log(`docker: ${error}`);
    if (this.closed) return;
    const { min, max } = this.opts.backoffMs ?? { min: 250, max: 10_000 };
    const delay = Math.min(max, min * 2 ** this.attempt++);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(), delay);
    this.retryTimer.unref();
  }

  private setStatus(status: WatcherStatus): void {
    this.current = status;
    this.emit('status', status);
  }
}

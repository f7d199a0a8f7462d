import { EventEmitter } from 'node:events';
import { UserError, errorMessage } from '../errors';
import type { ContainerResolver } from '../routes/types';
import { ModeledContainer } from './containerModel';
import { AddressMode, ResolverContext, pickAddress, pickPort, resolveContainer } from './containerResolver';
import { DockerEndpoint, resolveDockerEndpoint } from './dockerEndpoint';
import { DockerWatcher } from './dockerWatcher';
import type { AutoDomainsMode } from './autoDomains';
import type { AutoDomain, ContainersResponse, DockerStatus } from './types';

export interface DiscoveryOptions {
  /** --docker-host / containerHttps.docker.host; empty resolves like the docker CLI. */
  host?: string;
  addressMode: AddressMode;
  labels: boolean;
  /** serve --auto-domains, for the status; the names are derived with the label routes. */
  autoDomains?: AutoDomainsMode;
  log: (line: string) => void;
  backoffMs?: { min: number; max: number };
  env?: NodeJS.ProcessEnv;
}

/**
 * The Docker side of the daemon in one object: watches the engine and resolves container
 * targets. Like a Traefik provider it only emits what it found: 'models' (every container's
 * model, its labels parsed; the same again when only addresses or states changed) on every model
 * or connection change, from which the daemon derives label routes (daemon/providerRoutes.ts).
 * Emits 'status' and 'containers' whenever what clients see changes.
 */
export class DockerDiscovery extends EventEmitter {
  readonly endpoint?: DockerEndpoint;
  private readonly endpointError?: string;
  private readonly watcher?: DockerWatcher;
  private byName = new Map<string, ModeledContainer>();
  private labelProblems = new Map<string, string[]>();
  private autoDomains = new Map<string, AutoDomain>();
  private resolverContext?: ResolverContext;
  private loggedAddress?: string;
  readonly resolver: ContainerResolver;

  constructor(private readonly opts: DiscoveryOptions) {
    super();
    try {
      this.endpoint = resolveDockerEndpoint({ override: opts.host, env: opts.env });
    } catch (err) {
      this.endpointError = errorMessage(err);
    }
    if (this.endpoint) {
      this.watcher = new DockerWatcher({ endpoint: this.endpoint, log: opts.log, backoffMs: opts.backoffMs });
      this.watcher.on('changed', () => this.onChanged());
      this.watcher.on('status', () => {
        const status = this.status();
        // Said once per connection: which addresses are used, when it is not the usual (their IPs).
        if (status.connected && status.address === 'published' && status.addressWhy !== this.loggedAddress)
          this.opts.log(`docker: ${status.addressWhy}`);
        this.loggedAddress = status.connected ? status.addressWhy : undefined;
        this.emit('status', status);
        this.emit('containers', this.containers());
        // Routes to containers read "engine unreachable" or recover with the connection.
        this.emit('models', this.models());
      });
    }
    this.resolver = (name, port) => resolveContainer(this.context(), this.opts.addressMode, name, port);
  }

  /** Resolves after the first connection attempt; never rejects (the status says why). */
  async start(): Promise<void> {
    if (this.endpointError) this.opts.log(`docker: ${this.endpointError}`);
    await this.watcher?.start();
  }

  close(): Promise<void> {
    return this.watcher?.close() ?? Promise.resolve();
  }

  status(): DockerStatus {
    const w = this.watcher?.status;
    const status: DockerStatus = {
      enabled: true,
      labels: this.opts.labels,
      autoDomains: this.opts.autoDomains ?? 'off',
      connected: !!w?.connected,
      addressMode: this.opts.addressMode,
    };
    if (this.endpoint) {
      status.endpoint = this.endpoint.url;
      status.endpointSource = this.endpoint.source;
    }
    const error = this.endpointError ?? w?.error;
    if (error) status.error = error;
    const facts = this.watcher?.facts;
    if (facts) {
      status.apiVersion = facts.apiVersion;
      status.address = this.effectiveAddress();
      status.addressWhy = this.addressWhy();
    }
    return status;
  }

  containers(): ContainersResponse {
    const status = this.status();
    const containers = [...(this.watcher?.list() ?? [])]
      .sort(
        (a, b) =>
          (a.info.compose?.project ?? '').localeCompare(b.info.compose?.project ?? '') ||
          a.info.name.localeCompare(b.info.name),
      )
      .map((c) => {
        const problems = this.labelProblems.get(c.info.name);
        const autoDomain = this.autoDomains.get(c.info.name);
        if (!problems && !autoDomain) return c.info;
        const info = { ...c.info };
        if (problems) info.problems = problems;
        if (autoDomain) info.autoDomain = autoDomain;
        return info;
      });
    const out: ContainersResponse = { connected: status.connected, containers };
    if (status.endpoint) out.endpoint = status.endpoint;
    if (status.error) out.error = status.error;
    return out;
  }

  /** Every container's model, for deriving label routes and automatic names (daemon/providerRoutes.ts). */
  models(): ModeledContainer[] {
    return [...(this.watcher?.list() ?? [])];
  }

  /**
   * What was derived from the models, per container name, shown with each container: what its
   * labels asked for that is not served, and its automatic name (or why it has none).
   */
  setDerived(problems: Map<string, string[]>, autoDomains: Map<string, AutoDomain> = new Map()): void {
    const before = JSON.stringify([...this.labelProblems]);
    const autoBefore = JSON.stringify([...this.autoDomains]);
    this.labelProblems = problems;
    this.autoDomains = autoDomains;
    const problemsSame = JSON.stringify([...problems]) === before;
    if (problemsSame && JSON.stringify([...autoDomains]) === autoBefore) return;
    if (!problemsSame) {
      for (const line of this.problems()) this.opts.log(`labels: ${line}`);
      this.emit('status', this.status());
    }
    this.emit('containers', this.containers());
  }

  /** Where a container's port is reached from here, as the resolver would reach it (for the HTTP probe). */
  probeAddress(c: ModeledContainer, port: number): { hostname: string; port: number } | string {
    const found = pickAddress(this.context(), this.opts.addressMode, c, port);
    return typeof found === 'string' ? found : { hostname: found.upstream.hostname, port: found.upstream.port };
  }

  /** Label problems, one line each, for the daemon's status. */
  problems(): string[] {
    return [...this.labelProblems].flatMap(([name, list]) => list.map((p) => `container ${name}: ${p}`));
  }

  /**
   * For `expose HOST container:NAME[:PORT]`: the container must exist; the port is the one
   * given, else its single exposed port. Returns the container's name (`name` may be an id) and port.
   */
  async containerTarget(name: string, port: number | undefined): Promise<{ container: string; port: number }> {
    // The model may not have it yet (its events still on the way): ask the engine before saying no.
    const c = this.find(name) ?? (await this.watcher?.lookup(name).catch(() => undefined));
    if (!c) {
      const status = this.status();
      if (!status.connected)
        throw new UserError(
          `Cannot check container "${name}": ${status.error ?? 'the Docker engine is not connected'}`,
          'EDOCKER',
          503,
        );
      const names = [...this.byName.keys()].sort();
      const some = names.slice(0, 12).join(', ') + (names.length > 12 ? ', …' : '');
      throw new UserError(
        `No container named "${name}" on ${this.endpoint?.url}.${names.length ? ` Containers: ${some}.` : ' There are no containers.'}`,
        'ENOCONTAINER',
        404,
      );
    }
    if (port !== undefined) return { container: c.info.name, port };
    // The list API reports ports only for running containers, and the model may be one event
    // behind; the container's config has the ports its image and run options expose.
    const exposed = (await this.watcher?.exposedPorts(c.info.id).catch(() => undefined)) ?? [];
    const ports = [...c.info.ports.filter((p) => p.protocol === 'tcp').map((p) => p.containerPort), ...exposed];
    const unique = [...new Set(ports)].map((containerPort) => ({ containerPort, protocol: 'tcp' as const }));
    const picked = pickPort({ ...c.info, ports: unique }, undefined);
    if (typeof picked === 'string') throw new UserError(picked, 'EPORT');
    return { container: c.info.name, port: picked };
  }

  private find(nameOrId: string): ModeledContainer | undefined {
    const byName = this.byName.get(nameOrId);
    if (byName) return byName;
    if (/^[0-9a-f]{6,64}$/.test(nameOrId)) return this.watcher?.list().find((c) => c.info.id.startsWith(nameOrId));
    return undefined;
  }

  /**
   * What the resolver reads. Built once, because the resolver runs for every proxied request:
   * the getters read the watcher's current state, and each container's labels were parsed when
   * the model changed (docker/containerModel.ts), so a request only looks things up.
   */
  private context(): ResolverContext {
    if (this.resolverContext) return this.resolverContext;
    const { watcher: w, endpoint, endpointError } = this;
    const local = endpoint?.local ?? true;
    this.resolverContext = {
      find: (n) => this.find(n),
      driverOf: (n) => w?.driverOf(n),
      publishedHost: local ? '127.0.0.1' : (endpoint?.modem.host ?? '127.0.0.1'),
      get ipsUnreachable() {
        return w?.facts?.ipsUnreachable ?? !local;
      },
      get ipsUnreachableWhy() {
        return w?.facts?.why;
      },
      preferredNetwork: (c) => c.preferredNetwork,
      get connected() {
        return !!w?.status.connected;
      },
      endpoint: endpoint?.url ?? '(none)',
      get error() {
        return endpointError ?? w?.status.error;
      },
    };
    return this.resolverContext;
  }

  private effectiveAddress(): 'ip' | 'published' {
    if (this.opts.addressMode !== 'auto') return this.opts.addressMode;
    return this.context().ipsUnreachable ? 'published' : 'ip';
  }

  /**
   * Why containers are reached through published host ports only, or undefined when their IPs
   * are used: automatic names then go to published ports (docker/autoDomains.ts).
   */
  publishedOnly(): string | undefined {
    if (!this.watcher?.facts && this.opts.addressMode === 'auto') return undefined;
    if (this.effectiveAddress() !== 'published') return undefined;
    return this.opts.addressMode === 'published'
      ? '--docker-address is published'
      : (this.context().ipsUnreachableWhy ?? 'container IPs are not reachable from here');
  }

  private addressWhy(): string {
    const mode = this.opts.addressMode;
    if (mode !== 'auto')
      return mode === 'ip'
        ? '--docker-address ip: containers are reached at their IP addresses.'
        : '--docker-address published: containers are reached through their published host ports.';
    const ctx = this.context();
    if (!ctx.ipsUnreachable)
      return 'A local engine on Linux: containers are reached at their IP addresses (published ports when a container has no reachable IP).';
    return `${capitalize(ctx.ipsUnreachableWhy ?? 'container IPs are not reachable from here')}, so container IPs are not reachable from here: containers, automatic names included, are reached through their published host ports (publish the ports to serve, e.g. ports: ["8000"] in compose).`;
  }

  private onChanged(): void {
    const all = this.watcher!.list();
    const byName = new Map<string, ModeledContainer>();
    for (const c of all) byName.set(c.info.name, c);
    this.byName = byName;
    this.emit('models', this.models());
    this.emit('containers', this.containers());
  }
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

import * as vscode from 'vscode';
import type {
  CertMeta,
  ContainerInfo,
  ContainersResponse,
  DaemonStatus,
  RouteView,
} from '../proxy-core/src/control/apiTypes';
import { parseTarget, type Target } from '../proxy-core/src/routes/target';

/**
 * Whether the system trusts our CA. The daemon answers GET /v1/ca with a trust check where it
 * can; until then (older daemon, or the check has not run) the editor shows "not verified".
 */
export type CaTrust =
  { state: 'trusted' } | { state: 'untrusted'; detail?: string } | { state: 'unknown'; detail?: string };

export type Connection = { state: 'connecting' } | { state: 'connected' } | { state: 'failed'; error: string };

/**
 * What the daemon told us, as plain data, updated from the control API's events. The tree and
 * the status bar render this; nothing here talks to the daemon.
 */
export class ProxyState implements vscode.Disposable {
  connection: Connection = { state: 'connecting' };
  status?: DaemonStatus;
  routes: RouteView[] = [];
  certs: CertMeta[] = [];
  containers: ContainersResponse = { connected: false, containers: [] };
  /** False until the first containers answer arrives (the tree shows nothing rather than "unreachable"). */
  containersKnown = false;
  caTrust: CaTrust = { state: 'unknown' };

  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  update(
    patch: Partial<Pick<ProxyState, 'connection' | 'status' | 'routes' | 'certs' | 'containers' | 'caTrust'>>,
  ): void {
    Object.assign(this, patch);
    if (patch.containers) this.containersKnown = true;
    this.changed.fire();
  }

  /** Routes whose traffic goes to this container: exposed from the editor/CLI, or by its labels. */
  routesFor(container: ContainerInfo): RouteView[] {
    return this.routes.filter((r) => {
      if (r.source === 'label') return r.container === container.name || r.container === container.id;
      const t = targetOf(r);
      return t?.kind === 'container' && (t.container === container.name || container.id.startsWith(t.container));
    });
  }

  /** Routes for one port of a container (a route without a port counts for the first port). */
  routesForPort(container: ContainerInfo, port: number): RouteView[] {
    const first = tcpPorts(container)[0]?.containerPort;
    return this.routesFor(container).filter((r) => {
      const t = targetOf(r);
      const routed = t?.kind === 'container' ? t.port : undefined;
      return routed !== undefined ? routed === port : port === first;
    });
  }

  certFor(host: string): CertMeta | undefined {
    return this.certs.find((c) => c.host === host);
  }

  route(host: string): RouteView | undefined {
    return this.routes.find((r) => r.host === host);
  }

  /** Suffixes the local CA may issue for; everything else needs ACME. */
  get localSuffixes(): string[] {
    return this.status?.ca.permittedSuffixes ?? [];
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/**
 * One row per container port: Docker lists a port once per host binding (0.0.0.0 and ::), and
 * tree ids must be unique. The IPv4 binding is shown when there is one.
 */
export function tcpPorts(c: ContainerInfo): ContainerInfo['ports'] {
  const byPort = new Map<number, ContainerInfo['ports'][number]>();
  for (const p of c.ports) {
    if (p.protocol !== 'tcp') continue;
    const seen = byPort.get(p.containerPort);
    if (!seen || (!seen.hostPort && p.hostPort) || (seen.hostIp?.includes(':') && p.hostIp && !p.hostIp.includes(':')))
      byPort.set(p.containerPort, p);
  }
  return [...byPort.values()].sort((a, b) => a.containerPort - b.containerPort);
}

/** A route's target as proxy-core reads it (routes/target.ts); undefined for one it would refuse. */
function targetOf(route: RouteView): Target | undefined {
  try {
    return parseTarget(route.target);
  } catch {
    return undefined;
  }
}

import * as vscode from 'vscode';
import type {
  CertMeta,
  ContainerInfo,
  ContainersResponse,
  DaemonStatus,
  RouteView,
} from '../proxy-core/src/control/apiTypes';
import { routesOfContainer, routesOfPort } from './treeModel';

export { tcpPorts } from './treeModel';

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
  /** Server errors (5xx, upstream failures) recorded since the Inspector was last opened: the view's badge. */
  serverErrors = 0;

  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  update(
    patch: Partial<
      Pick<ProxyState, 'connection' | 'status' | 'routes' | 'certs' | 'containers' | 'caTrust' | 'serverErrors'>
    >,
  ): void {
    Object.assign(this, patch);
    if (patch.containers) this.containersKnown = true;
    this.changed.fire();
  }

  /** Routes whose traffic goes to this container (treeModel.ts routesOfContainer). */
  routesFor(container: ContainerInfo): RouteView[] {
    return routesOfContainer(this.routes, container);
  }

  /** Routes for one port of a container (a route without a port counts for the first port). */
  routesForPort(container: ContainerInfo, port: number): RouteView[] {
    return routesOfPort(this.routes, container, port);
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

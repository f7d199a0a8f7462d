import * as vscode from 'vscode';
import type { ContainerInfo, RouteView } from '../proxy-core/src/control/apiTypes';
import type { Ctx } from './ctx';
import type { ProxyState } from './proxyState';
import {
  autoDomainMarkdown,
  displayUrl,
  escapeMarkdown as escape,
  problemsMarkdown,
  routeRow,
  tcpPorts,
} from './treeModel';

export const VIEW_ID = 'containerHttps.containers';
/** Context key the welcome view keys on: connecting | connected | unreachable | disabled | noproxy. */
export const DOCKER_CONTEXT_KEY = 'containerHttps.docker';

export type ProjectNode = { kind: 'project'; name: string; containers: ContainerInfo[] };
export type ContainerNode = { kind: 'container'; container: ContainerInfo };
export type PortNode = { kind: 'port'; container: ContainerInfo; port: ContainerInfo['ports'][number] };
/** A route (Traefik router) to this container: its URL with path, middlewares, state (treeModel.ts). */
export type RouteNode = { kind: 'route'; container: ContainerInfo; route: RouteView };
/** A row explaining why there is nothing to show, with the fix one click away. */
export type NoticeNode = {
  kind: 'notice';
  id: string;
  icon: string;
  color?: string;
  label: string;
  description?: string;
  tooltip?: string;
  command?: vscode.Command;
};
export type Node = ProjectNode | ContainerNode | RouteNode | PortNode | NoticeNode;

/** What the welcome view and tests read: whether Docker answered and, if not, why. */
export interface DockerView {
  state: 'connecting' | 'connected' | 'unreachable' | 'disabled' | 'noproxy';
  endpoint?: string;
  error?: string;
}

/**
 * Compose project → container → its routes (a row per router, with its path), then its ports;
 * rendered from the daemon's container and route lists (no polling: the daemon pushes
 * 'containers' and 'routes' events when they change).
 */
export class ContainersTree implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  readonly view: vscode.TreeView<Node>;
  private readonly subs: vscode.Disposable[] = [];

  constructor(private readonly ctx: Ctx) {
    this.view = vscode.window.createTreeView(VIEW_ID, { treeDataProvider: this, showCollapseAll: true });
    this.subs.push(
      this.view,
      this.changed,
      ctx.state.onDidChange(() => this.render()),
    );
    this.render();
  }

  private lastRendered?: string;

  /**
   * Re-renders only when what the tree shows changed: the daemon sends status and certificate
   * events often, and a refresh under the pointer can swallow a click on a row.
   */
  private render(): void {
    const docker = this.docker();
    const s = this.ctx.state;
    const shown = JSON.stringify([
      docker,
      docker.state === 'connected' ? s.containers.containers : null,
      s.routes,
      s.certs.map((c) => [c.host, c.notAfter, c.issuerName]),
      s.serverErrors,
    ]);
    if (shown === this.lastRendered) return;
    this.lastRendered = shown;
    void vscode.commands.executeCommand('setContext', DOCKER_CONTEXT_KEY, docker.state);
    // A tree message would hide the welcome view (and its buttons), so the proxy's failure goes
    // in the header instead; Docker's failure is rendered as rows (see dockerNotice).
    this.view.description =
      docker.state === 'noproxy'
        ? 'proxy not running'
        : docker.state === 'unreachable'
          ? 'Docker unreachable'
          : undefined;
    const exposed = this.ctx.state.routes.length;
    const errors = this.ctx.state.serverErrors;
    // Server errors take the badge until the Inspector is opened (Inspect Requests clears them).
    this.view.badge = errors
      ? {
          value: errors,
          tooltip: `${errors} server error${errors === 1 ? '' : 's'} (5xx) since the Request Inspector was last opened: Container HTTPS: Inspect Requests`,
        }
      : exposed
        ? { value: exposed, tooltip: `${exposed} HTTPS host${exposed === 1 ? '' : 's'}` }
        : undefined;
    this.changed.fire(undefined);
  }

  docker(): DockerView {
    const s = this.ctx.state;
    if (s.connection.state === 'failed') return { state: 'noproxy', error: s.connection.error };
    if (s.connection.state === 'connecting' || !s.containersKnown) return { state: 'connecting' };
    const c = s.containers;
    if (c.connected) return { state: 'connected', endpoint: c.endpoint };
    if (s.status && !s.status.docker.enabled) return { state: 'disabled' };
    return {
      state: 'unreachable',
      endpoint: c.endpoint ?? s.status?.docker.endpoint,
      error: c.error ?? s.status?.docker.error,
    };
  }

  getChildren(node?: Node): Node[] {
    const s = this.ctx.state;
    if (!node) {
      const docker = this.docker();
      if (docker.state === 'unreachable') return dockerNotice(docker);
      if (docker.state === 'noproxy') return proxyNotice(docker.error ?? 'unknown error');
      if (docker.state !== 'connected') return [];
      return groupByProject(s.containers.containers);
    }
    if (node.kind === 'project') return node.containers.map((container) => ({ kind: 'container', container }));
    if (node.kind === 'container') {
      const { container } = node;
      return [
        ...s.routesFor(container).map((route): Node => ({ kind: 'route', container, route })),
        ...tcpPorts(container).map((port): Node => ({ kind: 'port', container, port })),
      ];
    }
    return [];
  }

  getParent(node: Node): Node | undefined {
    if (node.kind === 'port' || node.kind === 'route') return { kind: 'container', container: node.container };
    if (node.kind === 'container' && node.container.compose) {
      return groupByProject(this.ctx.state.containers.containers).find(
        (p) => p.kind === 'project' && p.name === node.container.compose?.project,
      );
    }
    return undefined;
  }

  getTreeItem(node: Node): vscode.TreeItem {
    return treeItemFor(node, this.ctx.state);
  }

  /** The nodes currently shown, flattened (tests and the palette's container pick use this). */
  allContainers(): ContainerInfo[] {
    return this.docker().state === 'connected' ? this.ctx.state.containers.containers : [];
  }

  dispose(): void {
    for (const d of this.subs) d.dispose();
  }
}

/**
 * Docker unreachable: the endpoint tried, the error, Retry and Open Settings. (Welcome views
 * only take static text, and these details are not static.)
 */
export function dockerNotice(docker: DockerView): NoticeNode[] {
  const endpoint = docker.endpoint ?? 'the default endpoint';
  const error = docker.error ?? 'no answer';
  return [
    {
      kind: 'notice',
      id: 'notice:docker',
      icon: 'debug-disconnect',
      color: 'problemsWarningIcon.foreground',
      label: 'Docker is unreachable',
      description: endpoint,
      tooltip: `Docker is unreachable at ${endpoint}:\n${error}`,
    },
    {
      kind: 'notice',
      id: 'notice:error',
      icon: 'error',
      color: 'problemsErrorIcon.foreground',
      label: error,
      tooltip: error,
    },
    {
      kind: 'notice',
      id: 'notice:retry',
      icon: 'refresh',
      label: 'Retry',
      command: { command: 'containerHttps.refresh', title: 'Retry' },
    },
    {
      kind: 'notice',
      id: 'notice:settings',
      icon: 'settings-gear',
      label: 'Open Settings',
      description: 'containerHttps.docker.host',
      command: {
        command: 'workbench.action.openSettings',
        title: 'Open Settings',
        arguments: ['containerHttps.docker'],
      },
    },
  ];
}

/** The proxy could not start: its one-line reason (which names the setting to change) and the fixes. */
export function proxyNotice(error: string): NoticeNode[] {
  return [
    {
      kind: 'notice',
      id: 'notice:proxy',
      icon: 'error',
      color: 'problemsErrorIcon.foreground',
      label: 'The proxy is not running',
      tooltip: error,
    },
    { kind: 'notice', id: 'notice:proxy-error', icon: 'blank', label: error, tooltip: error },
    {
      kind: 'notice',
      id: 'notice:restart',
      icon: 'debug-restart',
      label: 'Restart Proxy',
      command: { command: 'containerHttps.restartProxy', title: 'Restart Proxy' },
    },
    {
      kind: 'notice',
      id: 'notice:log',
      icon: 'output',
      label: 'Show Proxy Log',
      command: { command: 'containerHttps.showLog', title: 'Show Proxy Log' },
    },
    {
      kind: 'notice',
      id: 'notice:proxy-settings',
      icon: 'settings-gear',
      label: 'Open Settings',
      command: {
        command: 'workbench.action.openSettings',
        title: 'Open Settings',
        arguments: ['containerHttps.proxy'],
      },
    },
  ];
}

function groupByProject(containers: ContainerInfo[]): Node[] {
  const projects = new Map<string, ContainerInfo[]>();
  const loose: ContainerInfo[] = [];
  for (const c of [...containers].sort((a, b) => a.name.localeCompare(b.name))) {
    if (c.compose?.project) projects.set(c.compose.project, [...(projects.get(c.compose.project) ?? []), c]);
    else loose.push(c);
  }
  const nodes: Node[] = [...projects.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, cs]) => ({ kind: 'project', name, containers: cs }));
  return [...nodes, ...loose.map((container): Node => ({ kind: 'container', container }))];
}

/** Codicons and colours VS Code's container tools use for container states. */
export function stateIcon(c: ContainerInfo): vscode.ThemeIcon {
  if (c.health === 'unhealthy')
    return new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
  switch (c.state) {
    case 'running':
      return new vscode.ThemeIcon('debug-start', new vscode.ThemeColor('debugIcon.startForeground'));
    case 'paused':
      return new vscode.ThemeIcon('debug-pause', new vscode.ThemeColor('debugIcon.pauseForeground'));
    case 'restarting':
      return new vscode.ThemeIcon('debug-restart', new vscode.ThemeColor('debugIcon.restartForeground'));
    case 'created':
      return new vscode.ThemeIcon('circle-outline');
    default:
      return new vscode.ThemeIcon('debug-stop', new vscode.ThemeColor('debugIcon.stopForeground'));
  }
}

/** The first route's URL, and how many more there are (a container or port may have several routers). */
function urlOf(routes: RouteView[]): string | undefined {
  if (!routes.length) return undefined;
  return `${displayUrl(routes[0])}${routes.length > 1 ? ` (+${routes.length - 1})` : ''}`;
}

export function treeItemFor(node: Node, state: ProxyState): vscode.TreeItem {
  if (node.kind === 'notice') {
    const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
    item.id = node.id;
    item.iconPath = new vscode.ThemeIcon(node.icon, node.color ? new vscode.ThemeColor(node.color) : undefined);
    item.description = node.description;
    item.tooltip = node.tooltip;
    item.command = node.command;
    item.contextValue = 'notice';
    return item;
  }
  if (node.kind === 'project') {
    const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.Expanded);
    item.id = `project:${node.name}`;
    item.iconPath = new vscode.ThemeIcon('layers');
    item.contextValue = 'composeProject';
    const running = node.containers.filter((c) => c.state === 'running').length;
    item.description = `${running}/${node.containers.length} running`;
    return item;
  }
  if (node.kind === 'container') {
    const c = node.container;
    const routes = state.routesFor(c);
    const hasChildren = tcpPorts(c).length > 0 || routes.length > 0;
    const item = new vscode.TreeItem(
      c.name,
      hasChildren ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    );
    item.id = `container:${c.id}`;
    const url = urlOf(routes);
    const problems = c.problems?.length ?? 0;
    // Routers that are not served outrank the rest: the user has labels to fix. Then exposed and
    // serving: a lock in the running colour; otherwise the state is what matters.
    item.iconPath = problems
      ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'))
      : url && c.state === 'running' && c.health !== 'unhealthy'
        ? new vscode.ThemeIcon('lock', new vscode.ThemeColor('debugIcon.startForeground'))
        : stateIcon(c);
    // A container the automatic names cover but that has none says so; the tooltip says why.
    const unnamed = !url && c.autoDomain && !c.autoDomain.host && c.state === 'running';
    const base = url
      ? c.state === 'running'
        ? url
        : `${url} (${c.state})`
      : unnamed
        ? `${c.image} · ${c.autoDomain?.pending ? 'naming…' : 'no automatic name'}`
        : c.image;
    const problemText = problems ? `${problems} problem${problems === 1 ? '' : 's'}` : '';
    item.description = problemText ? `${base} · ${problemText}` : base;
    item.contextValue = routes.length ? 'container.exposed' : 'container';
    item.tooltip = containerTooltip(c, routes, state);
    item.accessibilityInformation = {
      label: `${c.name}, ${c.state}${url ? `, exposed at ${url}` : ''}${problemText ? `, ${problemText}` : ''}`,
    };
    return item;
  }
  if (node.kind === 'route') {
    const row = routeRow(node.route, node.container, state.certFor(node.route.host));
    const item = new vscode.TreeItem(row.label, vscode.TreeItemCollapsibleState.None);
    item.id = row.id;
    item.description = row.description;
    item.tooltip = new vscode.MarkdownString(row.tooltip, true);
    item.iconPath = new vscode.ThemeIcon(
      row.icon.id,
      row.icon.color ? new vscode.ThemeColor(row.icon.color) : undefined,
    );
    item.contextValue = row.contextValue;
    item.accessibilityInformation = { label: row.accessibility };
    return item;
  }
  const { container, port } = node;
  const routes = state.routesForPort(container, port.containerPort);
  const item = new vscode.TreeItem(`${port.containerPort}/${port.protocol}`, vscode.TreeItemCollapsibleState.None);
  item.id = `port:${container.id}:${port.containerPort}/${port.protocol}`;
  item.iconPath = new vscode.ThemeIcon(routes.length ? 'lock' : 'plug');
  const url = urlOf(routes);
  item.description =
    url ??
    (port.hostPort
      ? `published on ${port.hostIp && port.hostIp !== '0.0.0.0' ? port.hostIp : ''}:${port.hostPort}`
      : undefined);
  item.contextValue = routes.length ? 'port.exposed' : 'port';
  return item;
}

function containerTooltip(c: ContainerInfo, routes: RouteView[], state: ProxyState): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  const problems = problemsMarkdown(c.problems);
  if (problems) md.appendMarkdown(`${problems}\n\n`);
  md.appendMarkdown(`**${escape(c.name)}** — ${escape(c.status || c.state)}${c.health ? ` (${c.health})` : ''}\n\n`);
  md.appendMarkdown(`Image: \`${escape(c.image)}\`\n\n`);
  if (c.compose) md.appendMarkdown(`Compose: ${escape(c.compose.project)} / ${escape(c.compose.service)}\n\n`);
  const auto = autoDomainMarkdown(c);
  if (auto) md.appendMarkdown(`${auto}\n\n`);
  const ports = c.ports.map(
    (p) => `${p.containerPort}/${p.protocol}${p.hostPort ? ` → ${p.hostIp ?? ''}:${p.hostPort}` : ''}`,
  );
  md.appendMarkdown(`Ports: ${ports.length ? ports.join(', ') : 'none'}\n\n`);
  md.appendMarkdown(
    `Networks: ${c.networks.map((n) => `${n.name}${n.ip ? ` (${n.ip})` : ''}`).join(', ') || 'none'}\n\n`,
  );
  for (const r of routes) {
    const cert = state.certFor(r.host);
    md.appendMarkdown(`$(lock) [${displayUrl(r)}](${r.url}) — ${r.status}${r.detail ? `: ${escape(r.detail)}` : ''}`);
    if (cert) md.appendMarkdown(`, certificate by ${escape(cert.issuerName)} until ${cert.notAfter.slice(0, 10)}`);
    md.appendMarkdown('\n\n');
  }
  return md;
}

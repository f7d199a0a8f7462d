import * as vscode from 'vscode';
import type { ContainerInfo } from '../proxy-core/src/control/apiTypes';
import type { RouteView } from '../proxy-core/src/routes/types';
import type { Ctx } from './ctx';
import type { ProxyState } from './proxyState';

export const VIEW_ID = 'containerHttps.containers';
/** Context key the welcome view keys on: connecting | connected | unreachable | disabled | noproxy. */
export const DOCKER_CONTEXT_KEY = 'containerHttps.docker';

export type ProjectNode = { kind: 'project'; name: string; containers: ContainerInfo[] };
export type ContainerNode = { kind: 'container'; container: ContainerInfo };
export type PortNode = { kind: 'port'; container: ContainerInfo; port: ContainerInfo['ports'][number] };
export type Node = ProjectNode | ContainerNode | PortNode;

/** What the welcome view and tests read: whether Docker answered and, if not, why. */
export interface DockerView {
  state: 'connecting' | 'connected' | 'unreachable' | 'disabled' | 'noproxy';
  endpoint?: string;
  error?: string;
}

/**
 * Compose project → container → ports, rendered from the daemon's container list (no polling:
 * the daemon pushes 'containers' events when Docker reports a change).
 */
export class ContainersTree implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  readonly view: vscode.TreeView<Node>;
  private readonly subs: vscode.Disposable[] = [];

  constructor(private readonly ctx: Ctx) {
    this.view = vscode.window.createTreeView(VIEW_ID, { treeDataProvider: this, showCollapseAll: true });
    this.subs.push(this.view, this.changed, ctx.state.onDidChange(() => this.render()));
    this.render();
  }

  private render(): void {
    const docker = this.docker();
    void vscode.commands.executeCommand('setContext', DOCKER_CONTEXT_KEY, docker.state);
    this.view.message =
      docker.state === 'unreachable' ? `Docker is unreachable at ${docker.endpoint ?? 'the default endpoint'}: ${docker.error ?? 'no answer'}` : docker.state === 'noproxy' ? docker.error : undefined;
    const exposed = this.ctx.state.routes.length;
    this.view.badge = exposed ? { value: exposed, tooltip: `${exposed} HTTPS host${exposed === 1 ? '' : 's'}` } : undefined;
    this.changed.fire(undefined);
  }

  docker(): DockerView {
    const s = this.ctx.state;
    if (s.connection.state === 'failed') return { state: 'noproxy', error: `The proxy is not running: ${s.connection.error}` };
    if (s.connection.state === 'connecting' || !s.containersKnown) return { state: 'connecting' };
    const c = s.containers;
    if (c.connected) return { state: 'connected', endpoint: c.endpoint };
    if (s.status && !s.status.docker.enabled) return { state: 'disabled' };
    return { state: 'unreachable', endpoint: c.endpoint ?? s.status?.docker.endpoint, error: c.error ?? s.status?.docker.error };
  }

  getChildren(node?: Node): Node[] {
    const s = this.ctx.state;
    if (!node) {
      if (this.docker().state !== 'connected') return [];
      return groupByProject(s.containers.containers);
    }
    if (node.kind === 'project') return node.containers.map((container) => ({ kind: 'container', container }));
    if (node.kind === 'container') return node.container.ports.filter((p) => p.protocol === 'tcp').map((port) => ({ kind: 'port', container: node.container, port }));
    return [];
  }

  getParent(node: Node): Node | undefined {
    if (node.kind === 'port') return { kind: 'container', container: node.container };
    if (node.kind === 'container' && node.container.compose) {
      return groupByProject(this.ctx.state.containers.containers).find((p) => p.kind === 'project' && p.name === node.container.compose?.project);
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

function groupByProject(containers: ContainerInfo[]): Node[] {
  const projects = new Map<string, ContainerInfo[]>();
  const loose: ContainerInfo[] = [];
  for (const c of [...containers].sort((a, b) => a.name.localeCompare(b.name))) {
    if (c.compose?.project) projects.set(c.compose.project, [...(projects.get(c.compose.project) ?? []), c]);
    else loose.push(c);
  }
  const nodes: Node[] = [...projects.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, cs]) => ({ kind: 'project', name, containers: cs }));
  return [...nodes, ...loose.map((container): Node => ({ kind: 'container', container }))];
}

/** Codicons and colours VS Code's container tools use for container states. */
export function stateIcon(c: ContainerInfo): vscode.ThemeIcon {
  if (c.health === 'unhealthy') return new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
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

function urlOf(routes: RouteView[]): string | undefined {
  return routes[0]?.url.replace(/\/$/, '');
}

export function treeItemFor(node: Node, state: ProxyState): vscode.TreeItem {
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
    const hasPorts = c.ports.some((p) => p.protocol === 'tcp');
    const item = new vscode.TreeItem(c.name, hasPorts ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = `container:${c.id}`;
    const url = urlOf(routes);
    // Exposed and serving: a lock in the running colour; otherwise the state is what matters.
    item.iconPath = url && c.state === 'running' && c.health !== 'unhealthy' ? new vscode.ThemeIcon('lock', new vscode.ThemeColor('debugIcon.startForeground')) : stateIcon(c);
    item.description = url ? (c.state === 'running' ? url : `${url} (${c.state})`) : c.image;
    item.contextValue = routes.length ? 'container.exposed' : 'container';
    item.tooltip = containerTooltip(c, routes, state);
    item.accessibilityInformation = { label: `${c.name}, ${c.state}${url ? `, exposed at ${url}` : ''}` };
    return item;
  }
  const { container, port } = node;
  const routes = state.routesForPort(container, port.containerPort);
  const item = new vscode.TreeItem(`${port.containerPort}/${port.protocol}`, vscode.TreeItemCollapsibleState.None);
  item.id = `port:${container.id}:${port.containerPort}/${port.protocol}`;
  item.iconPath = new vscode.ThemeIcon(routes.length ? 'lock' : 'plug');
  const url = urlOf(routes);
  item.description = url ?? (port.hostPort ? `published on ${port.hostIp && port.hostIp !== '0.0.0.0' ? port.hostIp : ''}:${port.hostPort}` : undefined);
  item.contextValue = routes.length ? 'port.exposed' : 'port';
  return item;
}

function containerTooltip(c: ContainerInfo, routes: RouteView[], state: ProxyState): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${escape(c.name)}** — ${escape(c.status || c.state)}${c.health ? ` (${c.health})` : ''}\n\n`);
  md.appendMarkdown(`Image: \`${escape(c.image)}\`\n\n`);
  if (c.compose) md.appendMarkdown(`Compose: ${escape(c.compose.project)} / ${escape(c.compose.service)}\n\n`);
  const ports = c.ports.map((p) => `${p.containerPort}/${p.protocol}${p.hostPort ? ` → ${p.hostIp ?? ''}:${p.hostPort}` : ''}`);
  md.appendMarkdown(`Ports: ${ports.length ? ports.join(', ') : 'none'}\n\n`);
  md.appendMarkdown(`Networks: ${c.networks.map((n) => `${n.name}${n.ip ? ` (${n.ip})` : ''}`).join(', ') || 'none'}\n\n`);
  for (const r of routes) {
    const cert = state.certFor(r.host);
    md.appendMarkdown(`$(lock) [${r.url}](${r.url}) — ${r.status}${r.detail ? `: ${escape(r.detail)}` : ''}`);
    if (cert) md.appendMarkdown(`, certificate by ${escape(cert.issuerName)} until ${cert.notAfter.slice(0, 10)}`);
    md.appendMarkdown('\n\n');
  }
  return md;
}

function escape(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}

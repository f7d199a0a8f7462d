import type { CertMeta, ContainerInfo, RouteView } from '../proxy-core/src/control/apiTypes';
import { parseTarget, type Target } from '../proxy-core/src/routes/target';

// What the Containers tree shows, as plain data: which routes belong to a container and a port,
// and how a route row reads. No vscode here, so the rows can be checked without a workbench
// (test/extension/treeModel.test.ts); containersTree.ts turns them into TreeItems.

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

/**
 * Routes whose traffic goes to this container: exposed from the editor/CLI, declared by its
 * labels, or a load-balanced service with this container among its servers. Sorted by URL, so a
 * host's `/` comes before its `/api`.
 */
export function routesOfContainer(routes: RouteView[], c: ContainerInfo): RouteView[] {
  return routes
    .filter(
      (r) =>
        ((r.source === 'label' || r.source === 'auto') && (r.container === c.name || r.container === c.id)) ||
        serversOn(r, c).length > 0,
    )
    .sort((a, b) => a.url.localeCompare(b.url));
}

/** Routes to one port of a container (a route without a port counts for the first port). */
export function routesOfPort(routes: RouteView[], c: ContainerInfo, port: number): RouteView[] {
  const first = tcpPorts(c)[0]?.containerPort;
  return routesOfContainer(routes, c).filter((r) => {
    const mine = serversOn(r, c);
    if (!mine.length) return port === first;
    return mine.some((t) => (t.port !== undefined ? t.port === port : port === first));
  });
}

/** The servers of a route that are this container (a service has several when it is scaled). */
function serversOn(r: RouteView, c: ContainerInfo): Array<Extract<Target, { kind: 'container' }>> {
  const out: Array<Extract<Target, { kind: 'container' }>> = [];
  for (const text of r.servers?.length ? r.servers : [r.target]) {
    const t = targetOf(text);
    if (t?.kind === 'container' && (t.container === c.name || c.id.startsWith(t.container))) out.push(t);
  }
  return out;
}

/** A target as proxy-core reads it (routes/target.ts); undefined for one it would refuse. */
function targetOf(text: string): Target | undefined {
  try {
    return parseTarget(text);
  } catch {
    return undefined;
  }
}

/** The route's URL as a label: with its path, without the bare trailing slash of a whole host. */
export function displayUrl(route: Pick<RouteView, 'url'>): string {
  return route.url.replace(/\/$/, '');
}

/** A user route's strip-prefix is a middleware the daemon adds (routes/routerIndex.ts), shown as the CLI does. */
export function middlewareNames(route: RouteView): string[] {
  if (route.middlewares) return route.middlewares.map((m) => m.name);
  return route.stripPrefix && route.path ? [`stripPrefix(${route.path})`] : [];
}

/**
 * `route.auto`: a container's automatic name (serve --auto-domains), which can be pinned or
 * renamed; `.lan` at the end: the route is shared on the LAN (Stop Sharing on LAN applies).
 */
export type RouteRowContext = `route.${'user' | 'label' | 'file' | 'auto' | 'demo'}${'' | '.lan'}`;

/** One route (router) row under a container. */
export interface RouteRow {
  id: string;
  label: string;
  description?: string;
  /** Markdown with theme icons. */
  tooltip: string;
  /** package.json's menus key on it: every row opens and copies its URL, user rows can be stopped. */
  contextValue: RouteRowContext;
  icon: { id: string; color?: string };
  accessibility: string;
}

export function routeRow(route: RouteView, container: Pick<ContainerInfo, 'id'>, cert?: CertMeta): RouteRow {
  const label = displayUrl(route);
  const middlewares = middlewareNames(route);
  const description = [
    route.source === 'auto' ? 'auto' : undefined,
    route.lan ? `LAN: ${route.lan.name}` : undefined,
    route.publicHost ? `for ${route.publicHost}` : undefined,
    middlewares.join(', '),
    route.status === 'ready' ? undefined : route.status,
  ]
    .filter(Boolean)
    .join(' · ');
  return {
    id: `route:${container.id}:${route.source}:${route.router ?? ''}:${route.host}${route.path ?? ''}`,
    label,
    description: description || undefined,
    tooltip: routeTooltip(route, middlewares, cert),
    contextValue: `route.${route.source}${route.lan ? '.lan' : ''}`,
    icon: routeIcon(route),
    accessibility: [
      label,
      route.source === 'auto' ? 'automatic name' : undefined,
      route.lan ? `shared on the LAN as ${route.lan.name}` : undefined,
      route.publicHost ? `serves ${route.publicHost}` : undefined,
      middlewares.length ? `middlewares ${middlewares.join(', ')}` : undefined,
      route.status,
    ]
      .filter(Boolean)
      .join(', '),
  };
}

function routeIcon(route: RouteView): RouteRow['icon'] {
  // An automatic name has its own icon, so it is told apart from a name somebody chose at a glance.
  if (route.status === 'ready')
    return { id: route.source === 'auto' ? 'sparkle' : 'lock', color: 'debugIcon.startForeground' };
  if (route.status === 'pending') return { id: 'clock' };
  return { id: 'warning', color: 'problemsWarningIcon.foreground' };
}

function routeTooltip(route: RouteView, middlewares: string[], cert: CertMeta | undefined): string {
  const lines = [`$(${routeIcon(route).id}) **${escapeMarkdown(displayUrl(route))}** — ${route.status}`];
  if (route.publicHost) lines.push(`Serves production name ${inlineCode(route.publicHost)} locally.`);
  if (route.lan)
    lines.push(
      `$(broadcast) On the LAN as ${escapeMarkdown(route.lan.url)}${route.lan.authUser ? ` (basic auth, user ${inlineCode(route.lan.authUser)})` : ''}: phones on this network reach it. **Stop Sharing on LAN** ends it.`,
    );
  lines.push(`Rule: ${inlineCode(route.effectiveRule)}`);
  lines.push(
    `Priority: ${route.effectivePriority} (${route.priority ? 'set explicitly' : "the rule's length, as Traefik"})`,
  );
  if (middlewares.length) {
    const typed = route.middlewares
      ? route.middlewares.map((m) => `${inlineCode(m.name)} (${escapeMarkdown(m.type)})`)
      : middlewares.map((m) => inlineCode(m));
    lines.push(`Middlewares, in order: ${typed.join(', ')}`);
  }
  if (route.servers && route.servers.length > 1)
    lines.push(`Servers (round robin): ${route.servers.map((s) => inlineCode(s)).join(', ')}`);
  else lines.push(`Target: ${inlineCode(route.target)}`);
  lines.push(sourceLine(route));
  if (route.detail) lines.push(`${route.status === 'ready' ? '' : '$(warning) '}${escapeMarkdown(route.detail)}`);
  if (cert) lines.push(`Certificate by ${escapeMarkdown(cert.issuerName)} until ${cert.notAfter.slice(0, 10)}`);
  return lines.join('\n\n');
}

function sourceLine(route: RouteView): string {
  const router = route.router ? `Router ${inlineCode(route.router)}` : 'Router';
  switch (route.source) {
    case 'user':
      return 'Added with Expose over HTTPS… or `container-https expose`';
    case 'label':
      return `${router} from the labels of container ${inlineCode(route.container ?? '?')}`;
    case 'file':
      return `${router} from the Traefik dynamic configuration (serve --traefik-dynamic)`;
    case 'auto':
      return `Automatic name of container ${inlineCode(route.container ?? '?')} (serve --auto-domains): **Pin** keeps it as your own route, **Rename…** adds another name; the label ${inlineCode('container-https.enable=false')} opts the container out`;
    default:
      return 'The built-in demo route';
  }
}

/** The container row's tooltip line for its automatic name: the name and how its port was chosen, or why there is none. */
export function autoDomainMarkdown(c: Pick<ContainerInfo, 'autoDomain'>): string | undefined {
  const a = c.autoDomain;
  if (!a) return undefined;
  const how = {
    label: 'the container-https.port label',
    only: 'its only TCP port',
    probe: 'the lowest port that answers HTTP',
  };
  const lines: string[] = [];
  if (a.host)
    lines.push(
      `$(sparkle) Automatic name ${inlineCode(a.host)} → port ${a.port ?? '?'}${a.portFrom ? ` (${how[a.portFrom]})` : ''}`,
    );
  for (const o of a.others ?? []) lines.push(`$(sparkle) Automatic name ${inlineCode(o.host)} → port ${o.port}`);
  if (a.reason) lines.push(`${a.pending ? '$(loading~spin)' : '$(info)'} ${escapeMarkdown(a.reason)}`);
  return lines.join('\n\n');
}

/** The container row's tooltip section for ContainerInfo.problems: why some of its routers are not served. */
export function problemsMarkdown(problems: string[] | undefined): string | undefined {
  if (!problems?.length) return undefined;
  return [
    `$(warning) **${problems.length === 1 ? 'Problem' : `${problems.length} problems`}** (routers not served):`,
    problems.map((p) => `- ${escapeMarkdown(p)}`).join('\n'),
  ].join('\n\n');
}

export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}

/** A code span that holds backticks (Traefik rules quote with them): a longer fence, as CommonMark allows. */
export function inlineCode(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = /^`|`$/.test(text) ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

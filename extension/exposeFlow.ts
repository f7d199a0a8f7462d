import * as vscode from 'vscode';
import type { ContainerInfo, RouteView } from '../proxy-core/src/control/apiTypes';
import { PutRoute } from '../proxy-core/src/control/protocol';
import { errorMessage } from '../proxy-core/src/errors';
import { hostMatchesSuffix, normalizeHost } from '../proxy-core/src/routes/hostName';
import { hostPath, normalizeRoutePath } from '../proxy-core/src/routes/routePath';
import { parseTarget } from '../proxy-core/src/routes/target';
import type { Ctx } from './ctx';
import { tcpPorts } from './treeModel';

export interface ExposeTarget {
  container: ContainerInfo;
  /** Set when the user right-clicked a port; otherwise picked here. */
  port?: number;
}

/** A DNS label from a container name: web_1 → web-1. */
export function hostLabel(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 63)
      .replace(/-+$/, '') || 'app'
  );
}

/**
 * Validation as the user types: host syntax, then which CA will sign it. Names under the local
 * CA's suffixes are fine; others need ACME (Let's Encrypt) configured.
 */
export function checkHost(
  value: string,
  localSuffixes: string[],
  acmeEnabled: boolean,
): vscode.InputBoxValidationMessage | undefined {
  let host: string;
  try {
    host = normalizeHost(value);
  } catch (err) {
    return { message: errorMessage(err), severity: vscode.InputBoxValidationSeverity.Error };
  }
  if (localSuffixes.length === 0 || localSuffixes.some((s) => hostMatchesSuffix(host, s))) return undefined;
  const allowed = localSuffixes.map((s) => `.${s}`).join(', ');
  if (!acmeEnabled) {
    return {
      message: `${host} is not under the local CA's suffixes (${allowed}). Use one of those, or set containerHttps.acme.email to get a Let's Encrypt certificate for public names.`,
      severity: vscode.InputBoxValidationSeverity.Error,
    };
  }
  return {
    message: `${host} is a public name: its certificate comes from Let's Encrypt (ACME), and the name must point at this machine.`,
    severity: vscode.InputBoxValidationSeverity.Info,
  };
}

/** The part of PUT /v1/routes/:host that says which requests of the host the route takes. */
export interface RoutePath {
  path?: string;
  stripPrefix?: boolean;
}

/** Right-click → Expose over HTTPS…: port, host name, optional path, certificate, done. */
export async function exposeContainer(ctx: Ctx, target: ExposeTarget): Promise<RouteView | undefined> {
  const { container } = target;
  const port = target.port ?? (await pickPort(ctx, container));
  if (port === undefined) return undefined;
  const host = await askHost(
    ctx,
    `${hostLabel(container.name)}.${ctx.config.hostSuffix}`,
    `HTTPS name for ${container.name}:${port}`,
  );
  if (!host) return undefined;
  const path = await askPath(host, `${container.name}:${port}`);
  if (!path) return undefined;
  return exposeAndReport(ctx, host, `container:${container.name}:${port}`, `${container.name}:${port}`, path);
}

/**
 * Why a typed route path would be refused, in the daemon's words: the same check
 * (routes/routePath.ts) that PUT /v1/routes/:host runs. Empty is fine: the whole host.
 */
export function routePathProblem(value: string): string | undefined {
  try {
    normalizeRoutePath(value);
    return undefined;
  } catch (err) {
    return errorMessage(err);
  }
}

/**
 * Optional path step: empty (Enter) takes the whole host, as before paths existed. With a path,
 * whether the app sees it: Traefik's stripPrefix, as `expose --strip-prefix`. Undefined: cancelled.
 */
export async function askPath(host: string, what: string): Promise<RoutePath | undefined> {
  const typed = await vscode.window.showInputBox({
    title: `Path on ${host} for ${what} (optional)`,
    prompt: `Route only this path and below it (/api takes /api and /api/…). Leave empty for the whole host.`,
    placeHolder: 'empty: the whole host, or a path such as /api',
    ignoreFocusOut: true,
    validateInput: (v) => routePathProblem(v),
  });
  if (typed === undefined) return undefined;
  const path = normalizeRoutePath(typed);
  if (!path) return {};
  const pick = await vscode.window.showQuickPick(
    [
      { label: `Keep ${path}`, description: `${path}/x reaches the app as ${path}/x`, strip: false },
      { label: `Strip ${path}`, description: `${path}/x reaches the app as /x`, strip: true },
    ],
    {
      title: `${hostPath(host, path)} → ${what}`,
      placeHolder: 'Does the app expect the path prefix?',
      ignoreFocusOut: true,
    },
  );
  if (!pick) return undefined;
  return pick.strip ? { path, stripPrefix: true } : { path };
}

/** Palette: Expose a Local Port… — a port or URL on this machine, then a host name. */
export async function exposeLocalPort(ctx: Ctx): Promise<RouteView | undefined> {
  const target = await vscode.window.showInputBox({
    title: 'Expose a Local Port over HTTPS',
    prompt: 'Port or URL of the app on this machine',
    placeHolder: '5000 or http://127.0.0.1:5000',
    ignoreFocusOut: true,
    validateInput: (v) => localTargetProblem(v),
  });
  if (!target) return undefined;
  const host = await askHost(ctx, `app.${ctx.config.hostSuffix}`, `HTTPS name for ${target}`);
  if (!host) return undefined;
  return exposeAndReport(ctx, host, target.trim().replace(/\/$/, ''), target.trim());
}

async function pickPort(ctx: Ctx, container: ContainerInfo): Promise<number | undefined> {
  const ports = tcpPorts(container).map((p) => p.containerPort);
  if (ports.length === 1) return ports[0];
  const key = `containerHttps.port.${container.compose ? `${container.compose.project}/${container.compose.service}` : container.name}`;
  if (ports.length === 0) {
    const typed = await vscode.window.showInputBox({
      title: `Expose ${container.name} over HTTPS`,
      prompt: `${container.name} declares no ports. Which port does the app inside listen on?`,
      value: String(ctx.extension.workspaceState.get<number>(key) ?? ''),
      ignoreFocusOut: true,
      validateInput: (v) => (/^\d+$/.test(v) && +v >= 1 && +v <= 65535 ? undefined : 'A port number from 1 to 65535'),
    });
    if (!typed) return undefined;
    await ctx.extension.workspaceState.update(key, Number(typed));
    return Number(typed);
  }
  const remembered = ctx.extension.workspaceState.get<number>(key);
  const items = ports
    .sort((a, b) => (a === remembered ? -1 : b === remembered ? 1 : a - b))
    .map((p) => ({ label: String(p), description: p === remembered ? 'last used' : undefined, port: p }));
  const pick = await vscode.window.showQuickPick(items, {
    title: `Expose ${container.name} over HTTPS`,
    placeHolder: 'Which port serves the app?',
    ignoreFocusOut: true,
  });
  if (!pick) return undefined;
  await ctx.extension.workspaceState.update(key, pick.port);
  return pick.port;
}

async function askHost(ctx: Ctx, suggested: string, title: string): Promise<string | undefined> {
  await ctx.api(); // the suffixes come from the daemon's CA
  const suffixes = ctx.state.localSuffixes;
  const acme = !!ctx.state.status?.acme.enabled;
  const typed = await vscode.window.showInputBox({
    title,
    value: suggested,
    valueSelection: [0, suggested.indexOf('.') > 0 ? suggested.indexOf('.') : suggested.length],
    prompt: `Names under ${suffixes.map((s) => `.${s}`).join(', ') || 'the local suffixes'} get a local CA certificate${acme ? "; other names get one from Let's Encrypt" : ''}.`,
    ignoreFocusOut: true,
    validateInput: (v) => checkHost(v, suffixes, acme),
  });
  return typed ? normalizeHost(typed) : undefined;
}

async function exposeAndReport(
  ctx: Ctx,
  host: string,
  target: string,
  what: string,
  path: RoutePath = {},
): Promise<RouteView | undefined> {
  const client = await ctx.api();
  const local = ctx.state.localSuffixes.some((s) => hostMatchesSuffix(host, s));
  const tls = local ? 'local' : 'acme';
  const where = hostPath(host, path.path);
  ctx.log.info(
    `expose ${where} -> ${target}${path.stripPrefix ? ' (strip prefix)' : ''} (${tls === 'local' ? 'local CA' : 'ACME'})`,
  );
  let route: RouteView;
  try {
    route = await vscode.window.withProgress(
      {
        location: tls === 'acme' ? vscode.ProgressLocation.Notification : vscode.ProgressLocation.Window,
        title: tls === 'acme' ? `Getting a Let's Encrypt certificate for ${host}…` : `Exposing ${where}…`,
      },
      () => client.call(PutRoute, { params: { host }, body: { target, tls, ...path }, timeoutMs: 300_000 }),
    );
  } catch (err) {
    const message = errorMessage(err);
    const terms = /terms of service \((\S+?)\)/.exec(message);
    if (terms && !ctx.config.agreedToAcmeTerms && (await acceptTerms(ctx, terms[1])))
      return exposeAndReport(ctx, host, target, what, path);
    ctx.log.error(`expose ${where}: ${message}`);
    void vscode.window
      .showErrorMessage(`Could not expose ${what} as ${where}: ${message}`, 'Show Log')
      .then((p) => p && ctx.log.show());
    return undefined;
  }
  const url = route.url;
  const note = route.status === 'ready' ? '' : ` (${route.status}${route.detail ? `: ${route.detail}` : ''})`;
  void vscode.window
    .showInformationMessage(`${what} is now at ${url}${note}`, 'Open in Browser', 'Copy URL')
    .then(async (pick) => {
      if (pick === 'Open in Browser') await vscode.env.openExternal(vscode.Uri.parse(url));
      if (pick === 'Copy URL') await vscode.env.clipboard.writeText(url);
    });
  return route;
}

/** The ACME CA wants its terms accepted before the first order: ask, then restart the proxy agreeing. */
async function acceptTerms(ctx: Ctx, url: string): Promise<boolean> {
  for (;;) {
    const pick = await vscode.window.showWarningMessage(
      `The certificate authority asks you to accept its terms of service before it issues certificates.`,
      { modal: true, detail: url },
      'Open Terms',
      'Accept',
    );
    if (pick === 'Open Terms') {
      await vscode.env.openExternal(vscode.Uri.parse(url));
      continue;
    }
    if (pick !== 'Accept') return false;
    ctx.config.agreedToAcmeTerms = true;
    ctx.log.info(`accepted the ACME terms of service ${url}; restarting the proxy with --acme-agree-tos`);
    await ctx.restart();
    return true;
  }
}

/** Why a typed local target would be refused, in proxy-core's words (routes/target.ts); undefined when it is fine. */
function localTargetProblem(input: string): string | undefined {
  try {
    return parseTarget(input).kind === 'url'
      ? undefined
      : 'Give a port number (5000) or a URL such as http://127.0.0.1:5000';
  } catch (err) {
    return errorMessage(err);
  }
}

/**
 * "Pin" on an automatic name: the same host and target as a user route, so it stays when the
 * container is renamed, leaves its compose project or --auto-domains is turned off. The user
 * route ranks above the automatic one (routes/routerIndex.ts), which is then no longer listed.
 */
export function pinRoute(ctx: Ctx, route: RouteView): Promise<RouteView | undefined> {
  return exposeAndReport(ctx, route.host, route.target, `${route.container ?? route.target} (pinned)`);
}

/**
 * "Rename…" on an automatic name: another host for the same container and port, as a user route.
 * The automatic name stays beside it (nothing is hidden; the label container-https.enable=false
 * takes the container out of the automatic names).
 */
export async function renameRoute(ctx: Ctx, route: RouteView): Promise<RouteView | undefined> {
  const host = await askHost(ctx, route.host, `Another HTTPS name for ${route.target.replace(/^container:/, '')}`);
  if (!host) return undefined;
  return exposeAndReport(ctx, host, route.target, route.container ?? route.target);
}

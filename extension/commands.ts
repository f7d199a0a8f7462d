import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import type { CertMeta, CertResponse, RouteView } from '../proxy-core/src/control/apiTypes';
import { Cert, DeleteRoute, RenewCert } from '../proxy-core/src/control/protocol';
import { errorMessage } from '../proxy-core/src/errors';
import { hostPath } from '../proxy-core/src/routes/routePath';
import { shellQuote } from '../proxy-core/src/shellQuote';
import type { ContainersTree, Node } from './containersTree';
import type { Ctx } from './ctx';
import { InspectorPanel } from './inspectorPanel';
import { exposeContainer, exposeLocalPort, pinRoute, renameRoute } from './exposeFlow';
import { certLabel } from './statusBar';
import { displayUrl, middlewareNames } from './treeModel';
import { setupPortsInTerminal } from './portsOffer';

/** A command is a small factory over the context, so each one is built with what it needs. */
export type Cmd = (...args: unknown[]) => unknown;
export type CmdFactory = (ctx: Ctx, tree: ContainersTree) => Cmd;

/**
 * Right-click on a route row (that route), a container or port (its routes), a host string (the
 * status bar's pick: that host's routes), or nothing (palette): the route meant.
 */
export async function pickRoute(ctx: Ctx, arg: unknown, placeHolder: string): Promise<RouteView | undefined> {
  const node = arg as Node | undefined;
  if (node?.kind === 'route') return node.route;
  let routes: RouteView[];
  if (typeof arg === 'string') routes = ctx.state.routes.filter((r) => r.host === arg);
  else if (node?.kind === 'container') routes = ctx.state.routesFor(node.container);
  else if (node?.kind === 'port') routes = ctx.state.routesForPort(node.container, node.port.containerPort);
  else routes = ctx.state.routes;
  if (routes.length === 0) {
    void vscode.window.showInformationMessage(
      node?.kind
        ? 'This container is not exposed over HTTPS yet: right-click it → Expose over HTTPS…'
        : 'No HTTPS hosts yet: right-click a container → Expose over HTTPS…',
    );
    return undefined;
  }
  if (routes.length === 1) return routes[0];
  const pick = await vscode.window.showQuickPick(
    routes.map((r) => ({
      label: displayUrl(r),
      description: [r.router, ...middlewareNames(r)].filter(Boolean).join(' · ') || undefined,
      detail: `${r.effectiveRule} → ${r.target} · ${certLabel(ctx.state.certFor(r.host))}`,
      route: r,
    })),
    { placeHolder },
  );
  return pick?.route;
}

const expose: CmdFactory = (ctx, tree) => async (arg) => {
  const node = arg as Node | undefined;
  if (node?.kind === 'container') return exposeContainer(ctx, { container: node.container });
  if (node?.kind === 'port') return exposeContainer(ctx, { container: node.container, port: node.port.containerPort });
  await ctx.api();
  await ctx.refreshContainers();
  const containers = tree.allContainers().filter((c) => c.state === 'running');
  if (!containers.length) {
    const pick = await vscode.window.showInformationMessage(
      'No running containers to expose. Expose a port on this machine instead?',
      'Expose a Local Port…',
    );
    return pick ? exposeLocalPort(ctx) : undefined;
  }
  const pick = await vscode.window.showQuickPick(
    containers.map((c) => ({
      label: c.name,
      description: c.image,
      detail: c.compose ? `${c.compose.project} / ${c.compose.service}` : undefined,
      container: c,
    })),
    { title: 'Expose over HTTPS', placeHolder: 'Which container?' },
  );
  return pick ? exposeContainer(ctx, { container: pick.container }) : undefined;
};

const unexpose: CmdFactory = (ctx) => async (arg) => {
  const route = await pickRoute(ctx, arg, 'Stop exposing which route?');
  if (!route) return false;
  const where = hostPath(route.host, route.path);
  if (route.source !== 'user') {
    const from =
      route.source === 'label'
        ? `the labels of container ${route.container}; remove the labels`
        : route.source === 'file'
          ? `the Traefik dynamic configuration (serve --traefik-dynamic); remove router ${route.router} there`
          : route.source === 'auto'
            ? `the automatic names (containerHttps.autoDomains); add the label container-https.enable=false to container ${route.container}, or turn the setting off,`
            : 'the built-in demo (serve --demo); start the proxy without --demo';
    void vscode.window.showWarningMessage(`${where} comes from ${from} to stop exposing it.`);
    return false;
  }
  try {
    // A path route goes alone: the host's other paths stay (DELETE /v1/routes/:host?path=).
    const client = await ctx.api();
    await client.call(DeleteRoute, {
      params: { host: route.host },
      query: route.path ? { path: route.path } : undefined,
    });
    ctx.log.info(`stopped exposing ${where}`);
    return true;
  } catch (err) {
    void vscode.window.showErrorMessage(`Could not stop exposing ${where}: ${errorMessage(err)}`);
    return false;
  }
};

/** The automatic name meant: a route row, or a container or port with one (pickRoute narrowed to 'auto'). */
async function pickAutoRoute(ctx: Ctx, arg: unknown, placeHolder: string): Promise<RouteView | undefined> {
  const node = arg as Node | undefined;
  if (node?.kind === 'route') return node.route.source === 'auto' ? node.route : undefined;
  const autos = (
    node?.kind === 'container'
      ? ctx.state.routesFor(node.container)
      : node?.kind === 'port'
        ? ctx.state.routesForPort(node.container, node.port.containerPort)
        : ctx.state.routes
  ).filter((r) => r.source === 'auto');
  if (autos.length <= 1) {
    if (!autos.length)
      void vscode.window.showInformationMessage('No automatic name here (containerHttps.autoDomains).');
    return autos[0];
  }
  const pick = await vscode.window.showQuickPick(
    autos.map((r) => ({ label: displayUrl(r), description: r.target, route: r })),
    { placeHolder },
  );
  return pick?.route;
}

const pin: CmdFactory = (ctx) => async (arg) => {
  const route = await pickAutoRoute(ctx, arg, 'Pin which automatic name?');
  return route ? pinRoute(ctx, route) : undefined;
};

const rename: CmdFactory = (ctx) => async (arg) => {
  const route = await pickAutoRoute(ctx, arg, 'Add another name for which automatic name?');
  return route ? renameRoute(ctx, route) : undefined;
};

const openInBrowser: CmdFactory = (ctx) => async (arg) => {
  const route = await pickRoute(ctx, arg, 'Open which host?');
  if (route) await vscode.env.openExternal(vscode.Uri.parse(route.url));
};

const copyUrl: CmdFactory = (ctx) => async (arg) => {
  const route = await pickRoute(ctx, arg, 'Copy the URL of which host?');
  if (!route) return;
  await vscode.env.clipboard.writeText(route.url);
  vscode.window.setStatusBarMessage(`Copied ${route.url}`, 3000);
};

/** Subject, issuer, SANs, validity and fingerprints, read from the certificate itself. */
export function describeCertificate(pem: string, meta: CertMeta | undefined): string {
  const cert = new crypto.X509Certificate(pem);
  const lines = [
    `# Certificate for ${meta?.host ?? cert.subject}`,
    '',
    `- **Subject:** ${cert.subject.replace(/\n/g, ', ')}`,
    `- **Issuer:** ${cert.issuer.replace(/\n/g, ', ')}${meta ? ` (${meta.issuer === 'acme' ? `ACME${meta.directory ? `, ${meta.directory}` : ''}` : 'local CA'})` : ''}`,
    `- **Names (SANs):** ${cert.subjectAltName ?? 'none'}`,
    `- **Valid from:** ${new Date(cert.validFrom).toISOString()}`,
    `- **Expires:** ${new Date(cert.validTo).toISOString()}`,
    `- **SHA-256 fingerprint:** ${cert.fingerprint256}`,
    `- **Serial:** ${cert.serialNumber}`,
  ];
  if (meta?.renewAt) lines.push(`- **Renewal planned:** ${meta.renewAt}`);
  if (meta?.lastError) lines.push(`- **Last error:** ${meta.lastError} (${meta.lastErrorAt ?? ''})`);
  return lines.join('\n') + '\n';
}

const showCertificate: CmdFactory = (ctx) => async (arg) => {
  const route = await pickRoute(ctx, arg, 'Show the certificate of which host?');
  if (!route) return;
  // The daemon owns the state dir's layout; the editor asks it, as for everything else.
  let cert: CertResponse;
  try {
    cert = await (await ctx.api()).call(Cert, { params: { host: route.host } });
  } catch {
    void vscode.window.showWarningMessage(`${route.host} has no certificate yet (${route.detail ?? route.status}).`);
    return;
  }
  const doc = await vscode.workspace.openTextDocument({
    language: 'markdown',
    content: describeCertificate(cert.certPem, cert.meta),
  });
  await vscode.window.showTextDocument(doc, { preview: true });
  return doc;
};

const renewCertificate: CmdFactory = (ctx) => async (arg) => {
  const route = await pickRoute(ctx, arg, 'Renew the certificate of which host?');
  if (!route) return;
  try {
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Renewing the certificate for ${route.host}…` },
      async () => (await ctx.api()).call(RenewCert, { params: { host: route.host }, timeoutMs: 300_000 }),
    );
    void vscode.window.showInformationMessage(`Renewed the certificate for ${route.host}.`);
  } catch (err) {
    void vscode.window.showErrorMessage(`Could not renew ${route.host}: ${errorMessage(err)}`);
  }
};

/** Status bar click: every certificate, then what to do with the one picked. */
const showCertificates: CmdFactory = (ctx) => async () => {
  const items: Array<vscode.QuickPickItem & { host?: string; trust?: boolean }> = ctx.state.routes.map((r) => {
    const cert = ctx.state.certFor(r.host);
    return {
      label: `$(lock) ${r.host}`,
      description: certLabel(cert),
      detail: `${r.url} → ${r.target}${cert?.lastError ? ` · $(warning) ${cert.lastError}` : ''}`,
      host: r.host,
    };
  });
  items.push(
    { label: '', kind: vscode.QuickPickItemKind.Separator },
    { label: '$(shield) Trust Local CA…', description: trustText(ctx), trust: true },
  );
  const pick = await vscode.window.showQuickPick(items, {
    title: 'Container HTTPS certificates',
    placeHolder: items.length > 2 ? 'Pick a host' : 'No HTTPS hosts yet',
  });
  if (!pick) return;
  if (pick.trust) return vscode.commands.executeCommand('containerHttps.trustCa');
  const action = await vscode.window.showQuickPick(
    [
      { label: '$(link-external) Open in Browser', id: 'containerHttps.openInBrowser' },
      { label: '$(copy) Copy HTTPS URL', id: 'containerHttps.copyUrl' },
      { label: '$(file-text) Show Certificate', id: 'containerHttps.showCertificate' },
      { label: '$(list-unordered) Inspect Requests', id: 'containerHttps.inspectRequests' },
      { label: '$(refresh) Renew Certificate', id: 'containerHttps.renewCertificate' },
      { label: '$(shield) Trust Local CA', id: 'containerHttps.trustCa' },
      { label: '$(close) Stop Exposing', id: 'containerHttps.unexpose' },
    ],
    { title: pick.host },
  );
  if (action) return vscode.commands.executeCommand(action.id, pick.host);
};

function trustText(ctx: Ctx): string {
  const t = ctx.state.caTrust;
  return t.state === 'trusted' ? 'trusted' : t.state === 'untrusted' ? 'not trusted yet' : 'trust not verified';
}

/** Runs `container-https ca trust` in a terminal, so the user sees (and answers) sudo prompts. */
const trustCa: CmdFactory = (ctx) => async () => {
  const terminal = vscode.window.createTerminal({
    name: 'Container HTTPS: trust CA',
    env: { ELECTRON_RUN_AS_NODE: '1' },
  });
  terminal.show();
  terminal.sendText(
    `${shellQuote(process.execPath)} ${shellQuote(ctx.cliPath)} ca trust --state-dir ${shellQuote(ctx.config.stateDir)}`,
  );
  // The trust check result changes once the command ran; ask again when the terminal closes.
  const sub = vscode.window.onDidCloseTerminal((t) => {
    if (t !== terminal) return;
    sub.dispose();
    void ctx.refreshCaTrust(true);
  });
  return terminal;
};

const showLog: CmdFactory = (ctx) => () => ctx.log.show();

const restartProxy: CmdFactory = (ctx) => async () => {
  try {
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'Restarting the Container HTTPS proxy…' },
      () => ctx.restart(),
    );
    return true;
  } catch {
    return false; // Ctx already showed the one notification with the fix.
  }
};

const refresh: CmdFactory = (ctx) => async () => {
  if (ctx.state.connection.state !== 'connected') return ctx.reconnect();
  await Promise.all([ctx.refreshContainers(), ctx.refreshCaTrust()]);
};

/** Right-click on a route: its host's requests; from the palette or the status bar: all of them. */
const inspectRequests: CmdFactory = (ctx) => async (arg) => {
  const node = arg as Node | undefined;
  const host = typeof arg === 'string' ? arg : node?.kind === 'route' ? node.route.host : undefined;
  await InspectorPanel.show(ctx, host);
};

export const COMMANDS: Record<string, CmdFactory> = {
  'containerHttps.expose': expose,
  'containerHttps.unexpose': unexpose,
  'containerHttps.pinRoute': pin,
  'containerHttps.renameRoute': rename,
  'containerHttps.openInBrowser': openInBrowser,
  'containerHttps.copyUrl': copyUrl,
  'containerHttps.showCertificate': showCertificate,
  'containerHttps.renewCertificate': renewCertificate,
  'containerHttps.showCertificates': showCertificates,
  'containerHttps.exposeLocalPort': (ctx) => () => exposeLocalPort(ctx),
  'containerHttps.trustCa': trustCa,
  'containerHttps.setupPorts': (ctx) => () => setupPortsInTerminal(ctx),
  'containerHttps.showLog': showLog,
  'containerHttps.restartProxy': restartProxy,
  'containerHttps.refresh': refresh,
  'containerHttps.inspectRequests': inspectRequests,
};

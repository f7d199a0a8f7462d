import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Containers, Routes, Status } from '../proxy-core/src/control/protocol';
import { errorMessage } from '../proxy-core/src/errors';
import {
  ExportOptions,
  ExportResult,
  exportRoutes,
  parseDomainMap,
  suggestDomainMap,
} from '../proxy-core/src/scaffold/index';
import type { CmdFactory } from './commands';
import type { Ctx } from './ctx';

/**
 * Export Routes to Production… (docs/production.md): the same generator as the CLI's
 * `scaffold export`, fed from the daemon this window is attached to. The user picks the target
 * and confirms the domain mapping, sees every file before anything is written, then picks the
 * folder; files already there are replaced only after a second yes.
 */

const TARGETS: Array<vscode.QuickPickItem & { options: Pick<ExportOptions, 'to' | 'ingress'> }> = [
  {
    label: 'One server: docker compose + Traefik',
    description: 'docker-compose.yml, traefik/traefik.toml',
    options: { to: 'compose' },
  },
  {
    label: 'Docker Swarm: a stack',
    description: 'stack.yml (deploy.labels, overlay network), traefik/traefik.toml',
    options: { to: 'swarm' },
  },
  {
    label: "Kubernetes: Traefik's CRDs",
    description: 'IngressRoute, Middleware, Service, Deployment; TLS from the certificate resolver',
    options: { to: 'k8s', ingress: 'traefik' },
  },
  {
    label: 'Kubernetes: standard Ingress + cert-manager',
    description: 'Ingress (class traefik), Certificate, ClusterIssuer; routers it cannot express are listed',
    options: { to: 'k8s', ingress: 'standard' },
  },
];

export const exportRoutesCommand: CmdFactory = (ctx) => async () => {
  let routes, containers, status;
  try {
    const client = await ctx.api();
    [routes, containers, status] = await Promise.all([
      client.call(Routes),
      client.call(Containers),
      client.call(Status),
    ]);
  } catch (err) {
    return void vscode.window.showErrorMessage(`Could not read the routes from the proxy: ${errorMessage(err)}`);
  }
  if (!routes.routes.length)
    return void vscode.window.showInformationMessage(
      'No routes to export yet: right-click a container → Expose over HTTPS…',
    );
  const target = await vscode.window.showQuickPick(TARGETS, {
    title: 'Export Routes to Production (1/2)',
    placeHolder: 'Where do the routes go?',
  });
  if (!target) return;
  const suggested = suggestDomainMap(routes.routes, status.ca.permittedSuffixes);
  const domainMap = await vscode.window.showInputBox({
    title: 'Export Routes to Production (2/2)',
    prompt:
      'Local names → public names, e.g. .localhost=example.com (a suffix) or app.localhost=shop.example.com (one name); comma-separated. Empty: keep the names.',
    value: suggested,
    valueSelection: suggested ? [suggested.indexOf('=') + 1, suggested.split(',')[0].length] : undefined,
    ignoreFocusOut: true,
    validateInput: (v) => {
      if (!v.trim()) return undefined;
      try {
        parseDomainMap(v);
        return undefined;
      } catch (err) {
        return errorMessage(err);
      }
    },
  });
  if (domainMap === undefined) return;

  let result: ExportResult;
  try {
    result = exportRoutes(
      { routes: routes.routes, containers: containers.containers, localSuffixes: status.ca.permittedSuffixes },
      {
        ...target.options,
        domainMap: domainMap.trim() || undefined,
        email: ctx.config.acmeEmail || undefined,
      },
    );
  } catch (err) {
    return void vscode.window.showErrorMessage(`Could not export the routes: ${errorMessage(err)}`);
  }
  for (const n of result.notes) ctx.log.info(`export: ${n}`);
  if (!result.files.length) return void vscode.window.showInformationMessage(result.notes[0] ?? 'Nothing to export.');

  // The preview: every file, unsaved, before anything touches the disk.
  for (const f of result.files) {
    const doc = await vscode.workspace.openTextDocument({
      content: f.text,
      language: f.path.endsWith('.toml') ? 'toml' : 'yaml',
    });
    await vscode.window.showTextDocument(doc, { preview: false, preserveFocus: true });
  }
  const needsLook = result.notes.filter((n) => !/^Next/.test(n));
  const choice = await vscode.window.showInformationMessage(
    `${result.files.length} file${result.files.length === 1 ? '' : 's'} to write (${result.files.map((f) => f.path).join(', ')}).` +
      (needsLook.length ? ` ${needsLook.length} note${needsLook.length === 1 ? '' : 's'} need a look.` : ''),
    'Write to a Folder…',
    ...(needsLook.length ? ['Show Notes'] : []),
  );
  if (choice === 'Show Notes') {
    ctx.log.show();
    return;
  }
  if (choice !== 'Write to a Folder…') return;
  const picked = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    canSelectMany: false,
    openLabel: 'Write Here',
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
  });
  if (!picked?.[0]) return;
  return writeFiles(ctx, picked[0], result, target.options.to);
};

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

async function writeFiles(
  ctx: Ctx,
  folder: vscode.Uri,
  result: ExportResult,
  to: ExportOptions['to'],
): Promise<vscode.Uri[] | undefined> {
  const targets = result.files.map((f) => ({ uri: vscode.Uri.joinPath(folder, ...f.path.split('/')), text: f.text }));
  const existing: string[] = [];
  for (const t of targets) if (await exists(t.uri)) existing.push(vscode.workspace.asRelativePath(t.uri));
  if (existing.length) {
    const replace = await vscode.window.showWarningMessage(
      `${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''}. Replace ${existing.length === 1 ? 'it' : 'them'}?`,
      { modal: true },
      'Replace',
    );
    if (replace !== 'Replace') return undefined;
  }
  try {
    for (const t of targets) await vscode.workspace.fs.writeFile(t.uri, Buffer.from(t.text, 'utf8'));
    // Traefik writes acme.json into this folder itself; it stays private (as the CLI makes it).
    if (to === 'compose' && folder.scheme === 'file')
      fs.mkdirSync(path.join(folder.fsPath, 'traefik', 'acme'), { recursive: true, mode: 0o700 });
  } catch (err) {
    return void vscode.window.showErrorMessage(`Could not write the files: ${errorMessage(err)}`);
  }
  ctx.log.info(`export: wrote ${targets.map((t) => t.uri.fsPath).join(', ')}`);
  const next = result.notes.find((n) => /^Next/.test(n));
  void vscode.window.showInformationMessage(
    `Wrote ${targets.length} file${targets.length === 1 ? '' : 's'} to ${folder.fsPath}.${next ? ` ${next}` : ''}`,
  );
  await vscode.window.showTextDocument(targets[0].uri, { preview: false });
  return targets.map((t) => t.uri);
}

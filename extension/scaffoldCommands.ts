import * as path from 'node:path';
import * as vscode from 'vscode';
import { errorMessage } from '../proxy-core/src/errors';
import {
  DEFAULT_NETWORK,
  addLabelsToCompose,
  generateTraefikToml,
  migrateComposeLabels,
  migrateTraefikV1,
  parseCompose,
  serviceNames,
} from '../proxy-core/src/scaffold/index';
import type { CmdFactory } from './commands';
import type { Ctx } from './ctx';
import { exportRoutesCommand } from './exportRoutes';
import { askPath, hostLabel } from './exposeFlow';

/**
 * The production path (docs/scaffolding.md) from the palette: proxy-core's generators do the work; these
 * commands only ask, show and write — never without the user seeing the change.
 */
const COMPOSE_GLOB = '**/{docker-compose,compose}*.{yml,yaml}';

const scaffoldTraefik: CmdFactory = (ctx) => async () => {
  const folder = await pickFolder();
  if (!folder) return;
  const email = await vscode.window.showInputBox({
    title: 'Scaffold traefik.toml (1/3)',
    prompt: "E-mail for Let's Encrypt (expiry notices)",
    value: ctx.config.acmeEmail,
    ignoreFocusOut: true,
    validateInput: (v) =>
      /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v.trim()) ? undefined : 'An e-mail address such as you@example.com',
  });
  if (!email) return;
  const network = await vscode.window.showInputBox({
    title: 'Scaffold traefik.toml (2/3)',
    prompt: 'Docker network Traefik reaches your containers on',
    // The CLI's default (scaffold/dockerNetwork.ts), so both write the same traefik.toml.
    value: DEFAULT_NETWORK,
    ignoreFocusOut: true,
  });
  if (network === undefined) return;
  const challenge = await vscode.window.showQuickPick(
    [
      { label: 'HTTP-01', description: 'port 80 reaches Traefik (most setups)', value: 'http' as const },
      { label: 'TLS-ALPN-01', description: 'only port 443 reaches Traefik', value: 'tls' as const },
    ],
    { title: 'Scaffold traefik.toml (3/3)', placeHolder: "How Let's Encrypt checks you control the name" },
  );
  if (!challenge) return;
  let text: string;
  try {
    text = generateTraefikToml({
      email: email.trim(),
      network: network.trim() || undefined,
      challenge: challenge.value,
      dashboard: 'loopback',
    });
  } catch (err) {
    return void vscode.window.showErrorMessage(`Could not generate traefik.toml: ${errorMessage(err)}`);
  }
  const target = vscode.Uri.joinPath(folder.uri, 'traefik.toml');
  return writeShowingChange(ctx, target, text, 'Scaffold traefik.toml');
};

const addTraefikLabels: CmdFactory = (ctx) => async (arg) => {
  const file =
    arg instanceof vscode.Uri ? arg : await pickFile(COMPOSE_GLOB, 'Add Traefik labels: which compose file?');
  if (!file) return;
  const doc = await vscode.workspace.openTextDocument(file);
  const text = doc.getText();
  let services: string[];
  try {
    // The same reader as the CLI's `scaffold labels`, so both refuse the same files the same way.
    services = serviceNames(parseCompose(text, path.basename(file.fsPath)));
  } catch (err) {
    return void vscode.window.showErrorMessage(errorMessage(err));
  }
  if (!services.length) return void vscode.window.showErrorMessage(`${path.basename(file.fsPath)} has no services.`);
  const service =
    services.length === 1
      ? services[0]
      : await vscode.window.showQuickPick(services, {
          title: 'Add Traefik labels (1/4)',
          placeHolder: 'Which service?',
        });
  if (!service) return;
  const suggested = `${hostLabel(service)}.example.com`;
  const hosts = await vscode.window.showInputBox({
    title: 'Add Traefik labels (2/4)',
    prompt: 'Public host name(s), comma-separated; they must point at the production server',
    value: suggested,
    valueSelection: [hostLabel(service).length + 1, suggested.length],
    ignoreFocusOut: true,
    validateInput: (v) =>
      v.split(',').every((h) => /^[a-z0-9.-]+\.[a-z]{2,}$/i.test(h.trim()))
        ? undefined
        : 'Host names such as app.example.com, separated by commas',
  });
  if (!hosts) return;
  const port = await vscode.window.showInputBox({
    title: 'Add Traefik labels (3/4)',
    prompt: 'Port the app listens on inside the container (empty: let Traefik use the one exposed port)',
    value: '',
    ignoreFocusOut: true,
    validateInput: (v) => (!v || (/^\d+$/.test(v) && +v > 0 && +v < 65536) ? undefined : 'A port number, or empty'),
  });
  if (port === undefined) return;
  const hostList = hosts.split(',').map((h) => h.trim());
  // Step 4/4: the same optional path (and strip-prefix choice) as Expose over HTTPS….
  const routePath = await askPath(hostList.join(', '), service);
  if (!routePath) return;
  let result: { text: string; changed: boolean; notes: string[] };
  try {
    result = addLabelsToCompose(text, {
      service,
      hosts: hostList,
      port: port ? Number(port) : undefined,
      ...routePath,
    });
  } catch (err) {
    return void vscode.window.showErrorMessage(
      `Could not add labels to ${path.basename(file.fsPath)}: ${errorMessage(err)}`,
    );
  }
  for (const note of result.notes) void vscode.window.showWarningMessage(note);
  if (!result.changed) return void vscode.window.showInformationMessage(`${service} already has these Traefik labels.`);
  return applyShowingDiff(ctx, doc, result.text, `Traefik labels for ${service}`);
};

/**
 * Applies a whole-document change as an edit (unsaved, undoable with Ctrl+Z) and opens a diff of
 * before ↔ after, so nothing lands on disk without the user seeing it and saving it.
 */
async function applyShowingDiff(ctx: Ctx, doc: vscode.TextDocument, newText: string, label: string): Promise<boolean> {
  const before = originals(ctx).remember(doc.uri, doc.getText());
  const edit = new vscode.WorkspaceEdit();
  edit.replace(doc.uri, new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)), newText, {
    needsConfirmation: false,
    label,
  });
  if (!(await vscode.workspace.applyEdit(edit))) return false;
  await vscode.commands.executeCommand(
    'vscode.diff',
    before,
    doc.uri,
    `${path.basename(doc.uri.fsPath)}: ${label} (unsaved)`,
  );
  void vscode.window
    .showInformationMessage(`${label}: review the change, then save the file. Undo (Ctrl+Z) reverts it.`, 'Save')
    .then((p) => p && doc.save());
  return true;
}

/** Read-only "before" documents for the diffs above. */
class Originals implements vscode.TextDocumentContentProvider {
  static readonly scheme = 'container-https-original';
  private readonly texts = new Map<string, string>();
  remember(uri: vscode.Uri, text: string): vscode.Uri {
    const key = vscode.Uri.from({ scheme: Originals.scheme, path: uri.path, query: String(Date.now()) });
    this.texts.set(key.toString(), text);
    return key;
  }
  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '';
  }
}

let originalsProvider: Originals | undefined;
function originals(ctx: Ctx): Originals {
  if (!originalsProvider) {
    const provider = new Originals();
    ctx.push(vscode.workspace.registerTextDocumentContentProvider(Originals.scheme, provider), {
      dispose: () => (originalsProvider = undefined),
    });
    originalsProvider = provider;
  }
  return originalsProvider;
}

const migrateV1: CmdFactory = (ctx: Ctx) => async (arg) => {
  const active = vscode.window.activeTextEditor?.document.uri;
  const looksRight = (u?: vscode.Uri) => !!u && /\.(toml|ya?ml)$/i.test(u.fsPath);
  const file =
    arg instanceof vscode.Uri
      ? arg
      : looksRight(active)
        ? active
        : await pickFile(
            '**/{traefik*.toml,docker-compose*.{yml,yaml},compose*.{yml,yaml}}',
            'Migrate which Traefik v1 file?',
          );
  if (!file) return;
  const doc = await vscode.workspace.openTextDocument(file);
  let out: string;
  let unmapped: Array<{ key: string; reason: string }>;
  try {
    const r = file.fsPath.toLowerCase().endsWith('.toml')
      ? migrateTraefikV1(doc.getText())
      : migrateComposeLabels(doc.getText());
    out = 'toml' in r ? r.toml : r.text;
    unmapped = r.unmapped;
  } catch (err) {
    return void vscode.window.showErrorMessage(`Could not migrate ${path.basename(file.fsPath)}: ${errorMessage(err)}`);
  }
  const result = await vscode.workspace.openTextDocument({ content: out, language: doc.languageId });
  await vscode.window.showTextDocument(result, { viewColumn: vscode.ViewColumn.Beside, preview: false });
  if (unmapped.length) {
    ctx.log.warn(`migrating ${file.fsPath}: ${unmapped.length} item(s) not mapped`);
    for (const u of unmapped) ctx.log.warn(`  ${u.key}: ${u.reason}`);
    void vscode.window
      .showWarningMessage(
        `Migrated with ${unmapped.length} item(s) that need a look (${unmapped
          .map((u) => u.key)
          .slice(0, 3)
          .join(', ')}${unmapped.length > 3 ? ', …' : ''}).`,
        'Show Details',
      )
      .then((p) => p && ctx.log.show());
  }
  return result;
};

async function pickFolder(): Promise<vscode.WorkspaceFolder | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length <= 1) {
    if (!folders.length)
      void vscode.window.showErrorMessage('Open a folder first: the file is written into the workspace.');
    return folders[0];
  }
  return vscode.window.showWorkspaceFolderPick({ placeHolder: 'Write traefik.toml into which folder?' });
}

async function pickFile(glob: string, placeHolder: string): Promise<vscode.Uri | undefined> {
  const files = await vscode.workspace.findFiles(glob, '**/node_modules/**', 50);
  if (files.length === 1) return files[0];
  if (!files.length) {
    const picked = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Use this file' });
    return picked?.[0];
  }
  const pick = await vscode.window.showQuickPick(
    files.map((f) => ({ label: vscode.workspace.asRelativePath(f), uri: f })),
    { placeHolder },
  );
  return pick?.uri;
}

/** New file: created through a WorkspaceEdit (undoable). Existing file: a diff preview first. */
async function writeShowingChange(ctx: Ctx, target: vscode.Uri, text: string, label: string): Promise<boolean> {
  const edit = new vscode.WorkspaceEdit();
  let exists = true;
  try {
    await vscode.workspace.fs.stat(target);
  } catch {
    exists = false;
  }
  if (!exists) {
    edit.createFile(target, { contents: Buffer.from(text, 'utf8') });
    const ok = await vscode.workspace.applyEdit(edit);
    if (ok) await vscode.window.showTextDocument(target);
    return ok;
  }
  return applyShowingDiff(ctx, await vscode.workspace.openTextDocument(target), text, label);
}

export const SCAFFOLD_COMMANDS: Record<string, CmdFactory> = {
  'containerHttps.scaffoldTraefik': scaffoldTraefik,
  'containerHttps.addTraefikLabels': addTraefikLabels,
  'containerHttps.migrateTraefikV1': migrateV1,
  'containerHttps.exportRoutes': exportRoutesCommand,
};

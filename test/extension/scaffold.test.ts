import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { activateExtension, runAcceptingDefaults } from './helpers';

/** The production path from the palette (issue 6): the editor asks, shows and writes; proxy-core generates. */
describe('Container HTTPS production scaffolding commands', function () {
  let folder: string;

  before(async function () {
    await activateExtension();
    const ws = vscode.workspace.workspaceFolders?.[0];
    if (!ws) this.skip();
    folder = ws.uri.fsPath;
  });

  after(async function () {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace
      .getConfiguration('containerHttps')
      .update('acme.email', undefined, vscode.ConfigurationTarget.Global);
  });

  it('Migrate Traefik v1 Config opens the v3 result beside the original', async function () {
    const file = path.join(folder, 'traefik.v1.toml');
    fs.writeFileSync(
      file,
      [
        'logLevel = "INFO"',
        'defaultEntryPoints = ["http", "https"]',
        '[entryPoints]',
        '  [entryPoints.http]',
        '  address = ":80"',
        '    [entryPoints.http.redirect]',
        '    entryPoint = "https"',
        '  [entryPoints.https]',
        '  address = ":443"',
        '  [entryPoints.https.tls]',
        '[acme]',
        'email = "ops@example.com"',
        'storage = "acme.json"',
        'entryPoint = "https"',
        'onHostRule = true',
        '[acme.httpChallenge]',
        'entryPoint = "http"',
        '[docker]',
        'domain = "example.com"',
        'watch = true',
        'exposedByDefault = false',
        '',
      ].join('\n'),
    );
    const original = await vscode.window.showTextDocument(vscode.Uri.file(file));
    const result = await vscode.commands.executeCommand<vscode.TextDocument>(
      'containerHttps.migrateTraefikV1',
      vscode.Uri.file(file),
    );
    assert.ok(result, 'the command returned the migrated document');
    const text = result.getText();
    assert.match(text, /certificatesResolvers/);
    assert.match(text, /ops@example\.com/);
    assert.match(text, /providers\.docker/);
    const shown = vscode.window.visibleTextEditors.find((e) => e.document === result);
    assert.ok(shown, 'the result is visible');
    assert.notEqual(shown.viewColumn, original.viewColumn, 'the result opens beside the original');
    assert.equal(fs.readFileSync(file, 'utf8').includes('[acme]'), true, 'the original file is untouched');
  });

  it('Add Traefik Labels to a Compose Service shows the edit, applies it, and keeps comments', async function () {
    const file = path.join(folder, 'docker-compose.yml');
    fs.writeFileSync(
      file,
      [
        '# my app',
        'services:',
        '  web:',
        '    image: nginx  # the front end',
        '    ports:',
        '      - "8000:80"',
        '',
      ].join('\n'),
    );
    const applied = await runAcceptingDefaults<boolean>('containerHttps.addTraefikLabels', vscode.Uri.file(file));
    assert.equal(applied, true, 'the edit was applied');
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === file);
    assert.ok(doc);
    const text = doc.getText();
    assert.match(text, /# my app/);
    assert.match(text, /# the front end/);
    assert.match(text, /traefik\.enable/);
    assert.match(text, /Host\(`web\.example\.com`\)/);
    assert.ok(doc.isDirty, 'applied as an unsaved edit the user can undo or save');
    assert.ok(
      vscode.window.tabGroups.all.some((g) =>
        g.tabs.some((t) => t.input instanceof vscode.TabInputTextDiff && t.input.modified.fsPath === file),
      ),
      'a diff of the change is shown',
    );
    assert.match(fs.readFileSync(file, 'utf8'), /^# my app/);
    assert.doesNotMatch(fs.readFileSync(file, 'utf8'), /traefik/, 'nothing is written to disk before the user saves');
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });

  it('Scaffold traefik.toml writes a v3 static config into the workspace', async function () {
    await vscode.workspace
      .getConfiguration('containerHttps')
      .update('acme.email', 'ops@example.com', vscode.ConfigurationTarget.Global);
    const target = path.join(folder, 'traefik.toml');
    const ok = await runAcceptingDefaults<boolean>('containerHttps.scaffoldTraefik');
    assert.equal(ok, true);
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === target);
    assert.ok(doc, 'traefik.toml is open');
    const text = doc.getText();
    assert.match(text, /\[entryPoints\.web/);
    assert.match(text, /\[entryPoints\.websecure/);
    assert.match(text, /ops@example\.com/);
    assert.match(text, /exposedByDefault\s*=\s*false/);
  });
});

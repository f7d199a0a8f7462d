import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';
import * as vscode from 'vscode';
import type { ContainerNode, Node, ProjectNode } from '../../extension/containersTree';
import type { ContainerHttpsApi } from '../../extension/main';
import { statePaths } from '../../proxy-core/src/paths';
import type { RouteView } from '../../proxy-core/src/routes/types';
import { activateExtension, httpsGetVerified, runAcceptingDefaults, waitFor } from './helpers';

const IMAGE = process.env.CHS_TEST_IMAGE ?? 'chs-test/busybox:1';

/**
 * The editor against a real Docker engine and the real daemon it starts: tree → right-click
 * "Expose over HTTPS…" → a URL whose certificate verifies against our CA → status bar → stop.
 */
describe('Container HTTPS in a VS Code workbench', function () {
  const docker = new Docker();
  const run = crypto.randomBytes(3).toString('hex');
  const project = `chs-ext-${run}`;
  const name = `${project}-web-1`;
  let container: Docker.Container;
  let network: Docker.Network | undefined;
  let api: ContainerHttpsApi;
  let exposed: RouteView;

  before(async function () {
    await docker.ping().catch(() => this.skip()); // the harness fails the run under CI when Docker is missing
    // Its own network, as compose gives each project (and independent of the default bridge).
    network = await docker.createNetwork({
      Name: `${project}_default`,
      Labels: { 'com.docker.compose.project': project },
    });
    container = await docker.createContainer({
      name,
      Image: IMAGE,
      ExposedPorts: { '8000/tcp': {} },
      HostConfig: { NetworkMode: `${project}_default` },
      Labels: {
        'com.docker.compose.project': project,
        'com.docker.compose.service': 'web',
        'com.docker.compose.container-number': '1',
      },
    });
    await container.start();
    api = await activateExtension();
    const stateDir = api.ctx.config.stateDir;
    assert.ok(
      stateDir.startsWith(os.tmpdir()) || process.env.CHS_ALLOW_STATE_DIR,
      `tests must use a temp state dir, not ${stateDir}`,
    );
  });

  after(async function () {
    await container?.remove({ force: true }).catch(() => undefined);
    await network?.remove().catch(() => undefined);
    await vscode.workspace
      .getConfiguration('containerHttps')
      .update('docker.host', undefined, vscode.ConfigurationTarget.Global);
  });

  const projectNode = () =>
    api.tree.getChildren().find((n): n is ProjectNode => n.kind === 'project' && n.name === project);
  const containerNode = () => {
    const p = projectNode();
    return (
      p && api.tree.getChildren(p).find((n): n is ContainerNode => n.kind === 'container' && n.container.name === name)
    );
  };

  it('lists the running container under its compose project, with its port', async function () {
    const node = await waitFor('the test container in the tree', api.tree.onDidChangeTreeData, containerNode);
    const item = api.tree.getTreeItem(node);
    assert.equal(item.label, name);
    assert.equal(item.description, IMAGE);
    assert.equal(item.contextValue, 'container');
    assert.equal((item.iconPath as vscode.ThemeIcon).id, 'debug-start');
    const ports = api.tree.getChildren(node) as Node[];
    assert.deepEqual(
      ports.map((p) => p.kind === 'port' && p.port.containerPort),
      [8000],
    );
  });

  it('Expose over HTTPS… on the tree item serves its URL with a certificate our CA verifies', async function () {
    const node = await waitFor('the test container in the tree', api.tree.onDidChangeTreeData, containerNode);
    const route = await runAcceptingDefaults<RouteView | undefined>('containerHttps.expose', node, [node]);
    assert.ok(route, 'the expose command returned no route');
    exposed = route;
    assert.equal(route.host, `${name}.localhost`);
    assert.equal(route.target, `container:${name}:8000`);
    const port = api.ctx.state.status!.https.port;
    const caFile = statePaths(api.ctx.config.stateDir).caCert;
    const res = await httpsGetVerified(route.host, port, caFile);
    assert.equal(res.authorized, true);
    assert.equal(res.status, 200);
    assert.match(res.body, /^hello/);
    assert.match(res.issuer, /Container HTTPS/i);
    const item = await waitFor('the tree item to show the URL', api.tree.onDidChangeTreeData, () => {
      const n = containerNode();
      const i = n && api.tree.getTreeItem(n);
      return i?.contextValue === 'container.exposed' ? i : undefined;
    });
    assert.equal(item.description, route.url.replace(/\/$/, ''));
    assert.equal((item.iconPath as vscode.ThemeIcon).id, 'lock');
  });

  it('the route is a row under the container, before its port; Show Certificate works on the row', async function () {
    const node = containerNode()!;
    const children = api.tree.getChildren(node);
    assert.deepEqual(
      children.map((n) => n.kind),
      ['route', 'port'],
    );
    const row = children[0];
    assert.ok(row.kind === 'route');
    const item = api.tree.getTreeItem(row);
    assert.equal(item.label, exposed.url.replace(/\/$/, ''));
    assert.equal(item.contextValue, 'route.user');
    assert.match((item.tooltip as vscode.MarkdownString).value, /Rule: `+Host\(`/);
    // Not Copy URL: reading the clipboard back in a web workbench depends on the browser's permissions.
    const doc = await vscode.commands.executeCommand<vscode.TextDocument>('containerHttps.showCertificate', row);
    assert.match(doc.getText(), new RegExp(`DNS:${exposed.host.replace(/\./g, '\\.')}`));
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('the status bar model counts the host and lists it in the tooltip', async function () {
    const model = await waitFor('status bar with one host', api.ctx.state.onDidChange, () =>
      api.statusBar.model.hosts.length === 1 ? api.statusBar.model : undefined,
    );
    assert.ok(model.text.startsWith('$(lock) 1'), model.text);
    assert.equal(model.hosts[0].host, exposed.host);
    assert.match(model.tooltip, new RegExp(exposed.host.replace(/\./g, '\\.')));
    assert.ok(model.hosts[0].notAfter, 'certificate expiry is shown');
  });

  it('Show Certificate opens subject, issuer, SANs, expiry and fingerprint', async function () {
    const doc = await vscode.commands.executeCommand<vscode.TextDocument>(
      'containerHttps.showCertificate',
      containerNode(),
    );
    const text = doc.getText();
    for (const field of ['Subject', 'Issuer', 'Names (SANs)', 'Expires', 'SHA-256 fingerprint'])
      assert.match(text, new RegExp(field.replace(/[()]/g, '\\$&')));
    assert.match(text, new RegExp(`DNS:${exposed.host.replace(/\./g, '\\.')}`));
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('a crashed proxy is restarted and its routes come back', async function () {
    const oldPid = api.ctx.state.status!.pid;
    process.kill(oldPid, 'SIGKILL');
    const status = await waitFor('a new proxy', api.ctx.state.onDidChange, () => {
      const s = api.ctx.state.status;
      return api.ctx.state.connection.state === 'connected' && s && s.pid !== oldPid ? s : undefined;
    });
    assert.notEqual(status.pid, oldPid);
    await waitFor('the route restored from routes.json', api.ctx.state.onDidChange, () =>
      api.ctx.state.route(exposed.host),
    );
    const res = await httpsGetVerified(exposed.host, status.https.port, statePaths(api.ctx.config.stateDir).caCert);
    assert.equal(res.status, 200);
  });

  it('Stop Exposing removes the host from the proxy, the tree and the status bar', async function () {
    const removed = await vscode.commands.executeCommand<boolean>('containerHttps.unexpose', containerNode());
    assert.equal(removed, true);
    await waitFor('the route to go', api.ctx.state.onDidChange, () => !api.ctx.state.route(exposed.host));
    assert.ok(api.statusBar.model.text.startsWith('$(lock) 0'), api.statusBar.model.text);
    assert.equal(api.tree.getTreeItem(containerNode()!).contextValue, 'container');
  });

  it('shows the endpoint, the error, Retry and Open Settings when Docker is unreachable', async function () {
    const dead = `unix://${path.join(os.tmpdir(), `chs-no-docker-${run}.sock`)}`;
    await vscode.workspace
      .getConfiguration('containerHttps')
      .update('docker.host', dead, vscode.ConfigurationTarget.Global);
    assert.equal(await vscode.commands.executeCommand('containerHttps.restartProxy'), true);
    const view = await waitFor('the unreachable state', api.ctx.state.onDidChange, () => {
      const d = api.tree.docker();
      return d.state === 'unreachable' ? d : undefined;
    });
    assert.match(view.endpoint ?? '', /chs-no-docker/);
    assert.ok(view.error, 'the error is shown');
    const rows = api.tree.getChildren().map((n) => api.tree.getTreeItem(n));
    assert.deepEqual(
      rows.map((r) => r.label),
      ['Docker is unreachable', view.error, 'Retry', 'Open Settings'],
    );
    assert.match(String(rows[0].description), /chs-no-docker/);
    assert.equal(rows[2].command?.command, 'containerHttps.refresh');
    assert.equal(rows[3].command?.command, 'workbench.action.openSettings');
    assert.equal(api.tree.view.description, 'Docker unreachable');
    // Back to the real engine for whatever runs next.
    await vscode.workspace
      .getConfiguration('containerHttps')
      .update('docker.host', undefined, vscode.ConfigurationTarget.Global);
    assert.equal(await vscode.commands.executeCommand('containerHttps.restartProxy'), true);
    await waitFor('Docker connected again', api.ctx.state.onDidChange, () => api.tree.docker().state === 'connected');
  });
});

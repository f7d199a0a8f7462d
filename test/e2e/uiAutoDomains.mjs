// Automatic container names in the real workbench (code-server + Chromium), as issue 14 asks:
// with containerHttps.autoDomains=compose, a compose project's container shows its automatic
// URL https://web.<project>.localhost:PORT in the tree without any click (the container row's
// description, and a route row under it), the name answers over HTTPS verified against our CA,
// and Open in Browser on its row opens that URL in a new tab.
import assert from 'node:assert/strict';
import {
  contextMenu,
  control,
  fetchVerified,
  log,
  openContainersView,
  sleep,
  startComposeContainer,
  statePaths,
  treeRow,
  uniqueName,
  withWorkbench,
} from './lib.mjs';

export async function runUiAutoDomains({ bin, vsix }) {
  const started = Date.now();
  const project = uniqueName('chs-ui-auto');
  const host = `web.${project}.localhost`;
  return withWorkbench(
    {
      bin,
      vsix,
      prefix: 'chs-ui-auto-',
      settings: { 'containerHttps.autoDomains': 'compose' },
      setup: () => ({ container: startComposeContainer(project) }),
      afterClose: ({ container }) => container?.remove(),
    },
    async ({ page, server, stateDir, workspace, container }) => {
      await openContainersView(page, server.url, workspace);
      // No click: the container's row says its URL.
      const row = treeRow(page, container.name);
      await row.waitFor({ timeout: 60_000 });
      const daemon = await control(stateDir, 'GET', '/v1/status');
      assert.equal(daemon?.docker.autoDomains, 'compose', 'the setting reached serve --auto-domains');
      const url = `https://${host}:${daemon.https.port}`;
      const description = row.locator('.label-description');
      const deadline = Date.now() + 60_000;
      while (!((await description.textContent().catch(() => '')) ?? '').includes(url)) {
        if (Date.now() > deadline)
          throw new Error(`the row of ${container.name} does not show ${url}: "${await description.textContent()}"`);
        await sleep(250);
      }

      const caFile = statePaths(stateDir).caCert;
      const res = await fetchVerified(host, daemon.https.port, caFile, '/');
      assert.equal(res.authorized, true);
      assert.equal(res.status, 200);
      assert.match(res.body, /^hello/);

      // Open in Browser on the container's row: VS Code's link protection asks first (see
      // uiExpose.mjs); what is checked is the URL the new tab asks for.
      const opened = page.context().waitForEvent('request', {
        predicate: (r) => r.url().replace(/\/$/, '') === url && r.isNavigationRequest(),
        timeout: 30_000,
      });
      const tab = page.context().waitForEvent('page', { timeout: 30_000 });
      await contextMenu(page, row, 'Open in Browser');
      const dialog = page.locator('.monaco-dialog-box').filter({ hasText: host });
      await dialog.waitFor({ timeout: 30_000 });
      await dialog.getByRole('button', { name: 'Open', exact: true }).click();
      await opened;
      assert.notEqual(await tab, page, 'the URL opens in a new tab, not in the workbench');
      const wallS = (Date.now() - started) / 1000;
      log(`ui: ${container.name} shows ${url} without a click; Open in Browser opened it`);
      return { wallS, url };
    },
  );
}

// Routers in the real workbench (code-server + Chromium), as issue 13's editor part asks:
//  - runUiRouters: a container whose Traefik labels declare two routers on one host, `/` and
//    `/api`, each to its own service port, shows both as rows under the container; Open in
//    Browser on the /api row opens https://HOST:PORT/api (the URL the workbench navigates to is
//    checked, as uiExpose.mjs does for its route), and both paths answer over HTTPS verified
//    against our CA.
//  - runUiPathExpose: Expose over HTTPS… with the optional path step: the whole host first, then
//    /files with Strip (a path without its slash is refused as the daemon refuses it); both are
//    rows, /files answers from the app's /, and Stop Exposing on the /files row removes that
//    route only.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  answerPathStep,
  contextMenu,
  control,
  expand,
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

/**
 * busybox httpd on 8000 (the image's /www) and on 8001 (a tree that has /api/), with the labels
 * of two routers. Names carry a random part: every daemon on this engine sees every container,
 * and Traefik's Docker provider merges same-named routers and services across containers
 * (proxy-core/src/traefik/routerModel.ts), so a fixed `web` could meet another test's `web`.
 */
function startRoutersContainer(id, image = process.env.CHS_TEST_IMAGE || 'chs-test/busybox:1') {
  const name = `chs-ui-rt-${id}`;
  const network = `${name}_default`;
  const host = `shop-${id}.localhost`;
  const web = `web-${id}`;
  const api = `api-${id}`;
  const labels = {
    'traefik.enable': 'true',
    [`traefik.http.routers.${web}.rule`]: `Host(\`${host}\`)`,
    [`traefik.http.routers.${web}.service`]: web,
    [`traefik.http.services.${web}.loadbalancer.server.port`]: '8000',
    [`traefik.http.routers.${api}.rule`]: `Host(\`${host}\`) && PathPrefix(\`/api\`)`,
    [`traefik.http.routers.${api}.service`]: api,
    [`traefik.http.services.${api}.loadbalancer.server.port`]: '8001',
  };
  const n = spawnSync('docker', ['network', 'create', network], { encoding: 'utf8' });
  if (n.status !== 0) throw new Error(`docker network create failed: ${n.stderr.trim()}`);
  const remove = () => {
    spawnSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
    spawnSync('docker', ['network', 'rm', network], { stdio: 'ignore' });
  };
  const r = spawnSync(
    'docker',
    [
      'run',
      '-d',
      '--name',
      name,
      '--network',
      network,
      '--expose',
      '8000',
      '--expose',
      '8001',
      ...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
      image,
      'sh',
      '-c',
      'mkdir -p /a/api && echo "the api router" > /a/api/index.html && httpd -p 8001 -h /a && exec httpd -f -p 8000 -h /www',
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) {
    remove();
    throw new Error(`docker run ${image} failed: ${r.stderr.trim()}`);
  }
  return { name, host, routers: { web: `${web}@docker`, api: `${api}@docker` }, remove };
}

/** Polls the daemon's routes until `check` returns something (the routes event has no test hook here). */
async function untilRoutes(stateDir, what, check, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = (await control(stateDir, 'GET', '/v1/routes'))?.routes ?? [];
    const found = check(last);
    if (found) return found;
    if (Date.now() > deadline)
      throw new Error(
        `still waiting for ${what} after ${timeoutMs / 1000} s; the daemon lists: ${JSON.stringify(last.map((r) => ({ host: r.host, router: r.router, url: r.url, status: r.status, detail: r.detail })))}`,
      );
    await sleep(300);
  }
}

export async function runUiRouters({ bin, vsix }) {
  const started = Date.now();
  return withWorkbench(
    {
      bin,
      vsix,
      prefix: 'chs-ui-routers-',
      setup: () => ({ container: startRoutersContainer(randomBytes(3).toString('hex')) }),
      afterClose: ({ container }) => container?.remove(),
    },
    async ({ page, server, stateDir, workspace, container }) => {
      await openContainersView(page, server.url, workspace);
      const row = treeRow(page, container.name);
      await row.waitFor({ timeout: 60_000 });

      // The contract (RouteView, proxy-core/src/routes/types.ts): one route per router, its url
      // with the router's path, both on this container.
      const daemon = await control(stateDir, 'GET', '/v1/status');
      const origin = `https://${container.host}:${daemon.https.port}`;
      const [web, api] = await untilRoutes(
        stateDir,
        `routers ${container.routers.web} and ${container.routers.api}`,
        (routes) => {
          const web = routes.find((r) => r.router === container.routers.web);
          const api = routes.find((r) => r.router === container.routers.api);
          return web && api && [web, api];
        },
      );
      assert.equal(web.url, `${origin}/`);
      assert.equal(api.url, `${origin}/api`);
      assert.equal(web.container, container.name);
      assert.equal(api.container, container.name);
      assert.match(api.effectiveRule, /PathPrefix\(`\/api`\)/);

      await expand(row);
      const webRow = treeRow(page, origin);
      const apiRow = treeRow(page, `${origin}/api`);
      await webRow.waitFor({ timeout: 30_000 });
      await apiRow.waitFor({ timeout: 30_000 });
      // The ports stay under the container, after its routers.
      await treeRow(page, '8000/tcp').waitFor({ timeout: 30_000 });
      await treeRow(page, '8001/tcp').waitFor({ timeout: 30_000 });

      // The rule on hover (the row's Markdown tooltip). A hover the workbench dropped (a
      // re-render of the tree under a busy machine) is asked for again by leaving and re-entering.
      const ruleHover = page
        .locator('.monaco-hover, .workbench-hover')
        .filter({ hasText: 'PathPrefix(`/api`)' })
        .first();
      for (let attempt = 1; ; attempt++) {
        await page.mouse.move(700, 700);
        await apiRow.hover();
        try {
          await ruleHover.waitFor({ timeout: 5_000 });
          break;
        } catch (err) {
          if (attempt === 3) throw err;
        }
      }

      // Served as routed: / from port 8000, /api/ from port 8001, TLS verified against our CA.
      await untilRoutes(stateDir, 'both routers ready (certificate issued)', (routes) =>
        [container.routers.web, container.routers.api].every(
          (name) => routes.find((r) => r.router === name)?.status === 'ready',
        ),
      );
      const caFile = statePaths(stateDir).caCert;
      const root = await fetchVerified(container.host, daemon.https.port, caFile, '/');
      assert.equal(root.authorized, true);
      assert.equal(root.status, 200);
      assert.match(root.body, /^hello/);
      const apiRes = await fetchVerified(container.host, daemon.https.port, caFile, '/api/');
      assert.equal(apiRes.status, 200);
      assert.equal(apiRes.body, 'the api router\n');

      // Open in Browser on the /api row: VS Code's link protection asks first (see uiExpose.mjs);
      // what is checked is the URL the new tab asks for: the router's, with its path.
      const url = `${origin}/api`;
      await page.keyboard.press('Escape'); // the hover
      const opened = page
        .context()
        .waitForEvent('request', { predicate: (r) => r.url() === url && r.isNavigationRequest(), timeout: 30_000 });
      const tab = page.context().waitForEvent('page', { timeout: 30_000 });
      await contextMenu(page, apiRow, 'Open in Browser');
      const dialog = page.locator('.monaco-dialog-box').filter({ hasText: url });
      await dialog.waitFor({ timeout: 30_000 });
      await dialog.getByRole('button', { name: 'Open', exact: true }).click();
      await opened;
      assert.notEqual(await tab, page, 'the URL opens in a new tab, not in the workbench');
      const wallS = (Date.now() - started) / 1000;
      log(`ui: two routers of ${container.name} shown; Open in Browser on the /api row opened ${url}`);
      return { wallS, url };
    },
  );
}

export async function runUiPathExpose({ bin, vsix }) {
  const started = Date.now();
  const project = uniqueName('chs-ui-path');
  return withWorkbench(
    {
      bin,
      vsix,
      prefix: 'chs-ui-path-',
      setup: () => ({ container: startComposeContainer(project) }),
      afterClose: ({ container }) => container?.remove(),
    },
    async ({ page, server, stateDir, workspace, container }) => {
      await openContainersView(page, server.url, workspace);
      const row = treeRow(page, container.name);
      await row.waitFor({ timeout: 60_000 });
      const host = `${container.name}.localhost`;
      const input = page.locator('.quick-input-widget input.input');
      const daemon = await control(stateDir, 'GET', '/v1/status');
      const origin = `https://${host}:${daemon.https.port}`;

      // 1. The whole host: Enter at the path step, as before paths existed.
      await contextMenu(page, row, 'Expose over HTTPS…');
      await input.waitFor({ timeout: 30_000 });
      assert.equal(await input.inputValue(), host, 'the host name is prefilled');
      await input.press('Enter');
      await answerPathStep(page, input);
      await page
        .locator('.notification-toast')
        .filter({ hasText: `is now at ${origin}/` })
        .waitFor({ timeout: 60_000 });

      // 2. /files, stripped. Typed without its slash first: refused with the daemon's own words.
      await contextMenu(page, row, 'Expose over HTTPS…');
      await page
        .locator('.quick-input-widget')
        .filter({ hasText: `HTTPS name for ${container.name}` })
        .waitFor();
      await input.press('Enter');
      await page.locator('.quick-input-widget').filter({ hasText: 'Path on' }).waitFor({ timeout: 30_000 });
      await input.fill('files');
      await page
        .locator('.quick-input-widget')
        .filter({ hasText: 'it must start with /' })
        .waitFor({ timeout: 30_000 });
      await input.fill('/files');
      await input.press('Enter');
      await page.locator('.quick-input-widget').filter({ hasText: 'Strip /files' }).waitFor({ timeout: 30_000 });
      await input.fill('Strip');
      await page.locator('.quick-input-list .monaco-list-row').filter({ hasText: 'Strip /files' }).first().waitFor();
      await input.press('Enter');
      await page
        .locator('.notification-toast')
        .filter({ hasText: `is now at ${origin}/files` })
        .waitFor({ timeout: 60_000 });

      const routes = await untilRoutes(stateDir, `${host} and ${host}/files`, (rs) => {
        const mine = rs.filter((r) => r.host === host);
        return mine.length === 2 && mine;
      });
      const files = routes.find((r) => r.path === '/files');
      assert.ok(files, `a /files route: ${JSON.stringify(routes)}`);
      assert.equal(files.stripPrefix, true);
      assert.equal(files.url, `${origin}/files`);
      const res = await fetchVerified(host, daemon.https.port, statePaths(stateDir).caCert, '/files/');
      assert.equal(res.authorized, true);
      assert.equal(res.status, 200);
      assert.match(res.body, /^hello/, 'the app sees / for /files/ (strip-prefix)');

      // Both are rows under the container; Stop Exposing on /files removes that one only.
      await expand(row);
      const filesRow = treeRow(page, `${origin}/files`);
      await filesRow.waitFor({ timeout: 30_000 });
      await treeRow(page, origin).waitFor({ timeout: 30_000 });
      await contextMenu(page, filesRow, 'Stop Exposing');
      const left = await untilRoutes(stateDir, `${host}/files to go`, (rs) => {
        const mine = rs.filter((r) => r.host === host);
        return mine.length === 1 && mine;
      });
      assert.equal(left[0].path, undefined, 'the whole-host route stays');
      await filesRow.waitFor({ state: 'detached', timeout: 30_000 });
      await treeRow(page, origin).waitFor({ timeout: 30_000 });
      const wallS = (Date.now() - started) / 1000;
      log(`ui: exposed ${host} and ${host}/files (strip) from the editor, then stopped ${host}/files only`);
      return { wallS, host };
    },
  );
}

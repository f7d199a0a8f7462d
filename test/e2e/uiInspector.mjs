// The request inspector in the real workbench (code-server + Chromium), as issue 15's editor part
// asks: an app on this machine exposed as insp-ID.localhost, two requests to it, then the
// palette's Container HTTPS: Inspect Requests opens the Inspector (a webview): both rows are
// there; clicking one shows its headers; Replay sends it again (the app sees it, a new row
// appears, live); Save as HAR writes a file that validates against the HAR 1.2 JSON Schema.
// Before that, two 503s from the app show as the view's badge (2), which opening the Inspector
// clears (back to the host count, 1).
// Then its other two openers, each with the Inspector closed first: Inspect Requests on a
// container's route row (right-click in the Containers view) opens it filtered to that route's
// host, where the container's one-line HTML page is shown indented, one element per line; and
// the status bar's pick (a host, then Inspect Requests) opens it filtered to the host picked;
// the palette then, with it still open, shows every host again.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import * as http from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  ROOT,
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

const require = createRequire(import.meta.url);

function run(cmd, args) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

/** `container-https expose HOST TARGET` against the workbench's daemon; fails the test with its reason. */
async function expose(stateDir, host, target) {
  // Not spawnSync: the app answering expose's probe may run in this process.
  const exposed = await run(process.execPath, [
    join(ROOT, 'dist/cli.js'),
    'expose',
    host,
    target,
    '--state-dir',
    stateDir,
  ]);
  assert.equal(exposed.code, 0, exposed.stderr);
}

/** The Inspector webview's document (two iframes deep in the workbench). */
const inspectorView = (page) => page.frameLocator('iframe.webview').frameLocator('iframe#active-frame');

/** Closes the Inspector (the palette's View: Close All Editors), so the next opener opens it anew. */
async function closeInspector(page) {
  await palette(page, 'View: Close All Editors');
  await page.locator('iframe.webview').waitFor({ state: 'detached', timeout: 30_000 });
}

/** Runs a command from the palette (F1), as a user types it. */
async function palette(page, command) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ timeout: 30_000 });
  await input.fill(`>${command}`);
  await page
    .locator('.quick-input-list .monaco-list-row')
    .filter({ hasText: command.split(': ').pop() })
    .first()
    .waitFor({ timeout: 30_000 });
  await input.press('Enter');
}

/**
 * Waits until the Inspector that just opened filters by `host` and shows its requests only;
 * returns the shown rows. `other`: a host with requests in the buffer that must not be shown.
 */
async function untilFilteredTo(page, host, other) {
  const view = inspectorView(page);
  const filter = view.locator('#f-host');
  await filter.waitFor({ timeout: 60_000 });
  const deadline = Date.now() + 30_000;
  while ((await filter.inputValue()) !== host) {
    if (Date.now() > deadline)
      throw new Error(`the Inspector's host filter reads "${await filter.inputValue()}", not ${host}`);
    await sleep(200);
  }
  const rows = view.locator('#list tbody tr');
  await rows.filter({ hasText: host }).first().waitFor({ timeout: 30_000 });
  const shown = await rows.allInnerTexts();
  assert.ok(
    shown.every((t) => t.includes(host)),
    `only ${host}'s requests are listed: ${JSON.stringify(shown)}`,
  );
  const [n, of] = (await view.locator('#count').innerText()).split(' of ').map(Number);
  assert.ok(n === shown.length && n < of, `the count says ${n} of ${of}: the other host's requests are filtered out`);
  assert.equal(await rows.filter({ hasText: other }).count(), 0);
  return rows;
}

async function untilDaemon(stateDir) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const status = await control(stateDir, 'GET', '/v1/status');
    if (status?.https?.port) return status;
    if (Date.now() > deadline) throw new Error('the editor did not start the proxy within 60 s');
    await sleep(300);
  }
}

export async function runUiInspector({ bin, vsix }) {
  const started = Date.now();
  const host = `insp-${randomBytes(3).toString('hex')}.localhost`;
  const project = uniqueName('chs-ui-insp');
  // What the container serves at /page.html and how the detail pane must show it: the unit
  // test's page (tsc's output, as harSchema.js below).
  const { HTML_PAGE, HTML_PAGE_SHOWN } = require(join(ROOT, 'out/test/capture/htmlPage.js'));
  const seen = [];
  const app = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.writeHead(req.url === '/boom' ? 503 : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ hello: req.url }));
  });
  await new Promise((r) => app.listen(0, '127.0.0.1', r));
  try {
    return await withWorkbench(
      {
        bin,
        vsix,
        prefix: 'chs-ui-inspector-',
        setup: () => ({
          container: startComposeContainer(project, undefined, [
            'sh',
            '-c',
            `echo '${HTML_PAGE}' > /www/page.html && exec httpd -f -p 8000 -h /www`,
          ]),
        }),
        afterClose: ({ container }) => container?.remove(),
      },
      async ({ page, server, stateDir, workspace, tmp, container }) => {
        await openContainersView(page, server.url, workspace);
        const daemon = await untilDaemon(stateDir);
        await expose(stateDir, host, String(app.address().port));
        const caFile = statePaths(stateDir).caCert;
        for (const path of ['/first', '/second']) {
          const res = await fetchVerified(host, daemon.https.port, caFile, path);
          assert.equal(res.authorized, true);
          assert.equal(res.status, 200);
        }

        // Two server errors take the view's badge (the host count, 1, before).
        const badge = page.locator(
          '#workbench\\.parts\\.activitybar .action-item:has(a[aria-label^="Container HTTPS"]) .badge-content',
        );
        for (let i = 0; i < 2; i++)
          assert.equal((await fetchVerified(host, daemon.https.port, caFile, '/boom')).status, 503);
        await badge.filter({ hasText: /^2$/ }).waitFor({ timeout: 30_000 });

        await palette(page, 'Container HTTPS: Inspect Requests');
        const view = inspectorView(page);
        const rows = view.locator('#list tbody tr');
        const second = rows.filter({ hasText: `${host}/second` });
        await second.waitFor({ timeout: 60_000 });
        await rows.filter({ hasText: `${host}/first` }).waitFor({ timeout: 30_000 });
        // Opening the Inspector clears the error count: the badge is the host count again.
        await badge.filter({ hasText: /^1$/ }).waitFor({ timeout: 30_000 });
        await second.click();
        const detail = view.locator('#detail');
        await detail.getByText(`GET https://${host}/second`).waitFor({ timeout: 30_000 });
        await detail.getByText('Request headers').waitFor();
        await detail
          .locator('td.name', { hasText: /^host$/ })
          .first()
          .waitFor();
        await detail.getByText('"hello": "/second"').waitFor({ timeout: 30_000 });

        await detail.getByRole('button', { name: 'Replay', exact: true }).click();
        await second.nth(1).waitFor({ timeout: 30_000 });
        // expose's own probe (GET /) went through the proxy first, and is recorded too.
        assert.deepEqual(seen, ['GET /', 'GET /first', 'GET /second', 'GET /boom', 'GET /boom', 'GET /second']);
        const replay = (await control(stateDir, 'GET', '/v1/requests?limit=1')).requests[0];
        assert.equal(replay.url, '/second');
        assert.ok(replay.replayOf, 'the new row is the replay, linked to its original');

        const harFile = join(tmp, 'inspected.har');
        await view.getByRole('button', { name: 'Save as HAR' }).click();
        // code-server's save dialog is the workbench's own: a path in a quick input.
        await page
          .locator('.quick-input-widget')
          .filter({ hasText: 'Save Requests as HAR' })
          .waitFor({ timeout: 30_000 });
        const pathInput = page.locator('.quick-input-widget input.input');
        // The dialog fills in its default name a moment after it opens: type over that.
        const until = Date.now() + 10_000;
        while (!/requests-.*\.har$/.test(await pathInput.inputValue()) && Date.now() < until) await sleep(100);
        await pathInput.fill(harFile);
        await sleep(300); // the dialog validates the typed path before OK takes it
        await page.locator('.quick-input-widget').getByRole('button', { name: 'OK' }).click();
        const deadline = Date.now() + 30_000;
        while (!existsSync(harFile)) {
          if (Date.now() > deadline) throw new Error(`Save as HAR wrote nothing to ${harFile}`);
          await sleep(200);
        }
        await sleep(300);
        const har = JSON.parse(readFileSync(harFile, 'utf8'));
        const { harValidator } = require(join(ROOT, 'out/test/capture/harSchema.js'));
        assert.equal(harValidator()(har), undefined);
        assert.deepEqual(
          har.log.entries.map((e) => new URL(e.request.url).pathname),
          ['/', '/first', '/second', '/boom', '/boom', '/second'],
        );
        log(`ui: Inspect Requests showed ${host}'s requests, Replay added a row, Save as HAR wrote ${harFile}`);

        // The route's context menu: the container's route row → Inspect Requests, on that host.
        const pageHost = `${container.name}.localhost`;
        await expose(stateDir, pageHost, `container:${container.name}:8000`);
        const served = await fetchVerified(pageHost, daemon.https.port, caFile, '/page.html');
        assert.equal(served.status, 200);
        assert.equal(served.body, `${HTML_PAGE}\n`);
        await closeInspector(page);
        const containerRow = treeRow(page, container.name);
        await containerRow.waitFor({ timeout: 60_000 });
        await expand(containerRow);
        const routeRow = treeRow(page, `https://${pageHost}:${daemon.https.port}`);
        await routeRow.waitFor({ timeout: 30_000 });
        await contextMenu(page, routeRow, 'Inspect Requests');
        const pageRows = await untilFilteredTo(page, pageHost, host);
        await pageRows.filter({ hasText: `${pageHost}/page.html` }).click();
        await detail.getByText(`GET https://${pageHost}/page.html`).waitFor({ timeout: 30_000 });
        // GET has no request body, so the one body shown is the response's.
        const body = detail.locator('pre.body');
        await body.waitFor({ timeout: 30_000 });
        assert.equal(await body.count(), 1);
        assert.equal(await body.textContent(), HTML_PAGE_SHOWN);
        log(`ui: Inspect Requests on ${pageHost}'s route row opened the Inspector on that host; its HTML is indented`);

        // The status bar's pick: the host, then Inspect Requests.
        await closeInspector(page);
        await page
          .locator('#workbench\\.parts\\.statusbar .statusbar-item')
          .filter({ has: page.locator('.codicon-lock') })
          .first()
          .click();
        const picks = page.locator('.quick-input-list .monaco-list-row');
        await page
          .locator('.quick-input-widget')
          .filter({ hasText: 'Container HTTPS certificates' })
          .waitFor({ timeout: 30_000 });
        await picks.filter({ hasText: host }).first().click();
        // Then the actions for that host (the click waits for the second pick's rows).
        await picks.filter({ hasText: 'Inspect Requests' }).first().click();
        await untilFilteredTo(page, host, pageHost);
        log(`ui: the status bar's pick → ${host} → Inspect Requests opened the Inspector on that host`);

        // The palette, with the filtered Inspector still open: every host again.
        await palette(page, 'Container HTTPS: Inspect Requests');
        const hostFilter = inspectorView(page).locator('#f-host');
        const cleared = Date.now() + 30_000;
        while ((await hostFilter.inputValue()) !== '') {
          if (Date.now() > cleared)
            throw new Error(`from the palette the host filter still reads "${await hostFilter.inputValue()}"`);
          await sleep(200);
        }
        const allRows = inspectorView(page).locator('#list tbody tr');
        await allRows.filter({ hasText: pageHost }).first().waitFor({ timeout: 30_000 });
        await allRows.filter({ hasText: host }).first().waitFor({ timeout: 30_000 });
        log('ui: Inspect Requests from the palette, the Inspector open and filtered, shows every host again');
        const wallS = (Date.now() - started) / 1000;
        return { wallS };
      },
    );
  } finally {
    await new Promise((r) => app.close(r));
  }
}

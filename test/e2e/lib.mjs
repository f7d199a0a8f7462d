// Shared pieces of the editor test harness: temp dirs, the daemon a workbench started, a test
// container with compose labels, and a headless Chromium.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { get as httpsGet } from 'node:https';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCodeServer } from './codeServer.mjs';

export const ROOT = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const require = createRequire(import.meta.url);

export function log(msg) {
  process.stderr.write(`[e2e] ${msg}\n`);
}

export function tempDir(prefix) {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function statePaths(stateDir) {
  return require(join(ROOT, 'out/proxy-core/src/paths.js')).statePaths(stateDir);
}

/** One JSON request to the daemon's control socket; undefined when none answers. */
export function control(stateDir, method, path, timeoutMs = 5000) {
  const socketPath = statePaths(stateDir).socket;
  return new Promise((resolve) => {
    const req = request({ socketPath, path, method, timeout: timeoutMs }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        try {
          resolve(JSON.parse(text));
        } catch {
          resolve(undefined);
        }
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/** Stops the daemon a workbench started in this state dir (it is detached, so it outlives the server). */
export async function stopDaemon(stateDir) {
  const paths = statePaths(stateDir);
  const status = await control(stateDir, 'GET', '/v1/status');
  await control(stateDir, 'POST', '/v1/shutdown');
  const pid = status?.pid ?? Number(existsSync(paths.pidFile) ? readFileSync(paths.pidFile, 'utf8').trim() : NaN);
  if (!pid) return;
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && alive(pid)) await sleep(100);
  if (alive(pid)) {
    log(`daemon ${pid} did not stop; killing it`);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

export function uniqueName(prefix) {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

/**
 * A running test container that looks like service `web` of compose project `project`; `command`
 * replaces the image's (busybox httpd on 8000 serving /www).
 */
export function startComposeContainer(
  project,
  image = process.env.CHS_TEST_IMAGE || 'chs-test/busybox:1',
  command = [],
) {
  const name = `${project}-web-1`;
  // Its own network, as compose gives each project (and independent of the default bridge).
  const network = `${project}_default`;
  const n = spawnSync('docker', ['network', 'create', '--label', `com.docker.compose.project=${project}`, network], {
    encoding: 'utf8',
  });
  if (n.status !== 0) throw new Error(`docker network create failed: ${n.stderr.trim()}`);
  const r = spawnSync(
    'docker',
    [
      'run',
      '-d',
      '--name',
      name,
      '--network',
      network,
      '--label',
      `com.docker.compose.project=${project}`,
      '--label',
      'com.docker.compose.service=web',
      '--label',
      'com.docker.compose.container-number=1',
      '--expose',
      '8000',
      image,
      ...command,
    ],
    { encoding: 'utf8' },
  );
  const remove = () => {
    spawnSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
    spawnSync('docker', ['network', 'rm', network], { stdio: 'ignore' });
  };
  if (r.status !== 0) {
    remove();
    throw new Error(`docker run ${image} failed: ${r.stderr.trim()}`);
  }
  return { name, remove };
}

/** GET https://host:port/path via 127.0.0.1, trusting only our CA (no verification bypass). */
export function fetchVerified(host, port, caFile, path = '/') {
  return new Promise((resolve, reject) => {
    const req = httpsGet(
      {
        host: '127.0.0.1',
        port,
        servername: host,
        path,
        headers: { host: `${host}:${port}` },
        ca: readFileSync(caFile, 'utf8'),
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () =>
          resolve({
            status: res.statusCode,
            body,
            authorized: res.socket.authorized,
            issuer: res.socket.getPeerCertificate()?.issuer?.CN,
          }),
        );
      },
    );
    req.on('error', reject);
  });
}

/** `executablePath`: another launcher, e.g. a script that enters a test's network namespace first. */
export async function launchBrowser(executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium') {
  const { chromium } = await import('playwright-core');
  const profile = tempDir('chs-chromium-');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    close: async () => {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Settings every editor test workbench uses: its own state dir and free ports. */
export function testSettings(stateDir) {
  return require(join(ROOT, 'out/test/extension/testSettings.js')).testSettings(stateDir);
}

/** On failure, a screenshot of the workbench as it was, kept in the temp dir for diagnosis. */
export async function withFailureShot(page, fn) {
  try {
    return await fn();
  } catch (err) {
    const shot = join(tmpdir(), `chs-ui-failure-${Date.now()}.png`);
    await page?.screenshot({ path: shot }).catch(() => undefined);
    log(`UI test failed; screenshot of the workbench: ${shot}`);
    throw err;
  }
}

/** Installs the .vsix into a fresh extensions dir, as a user's `--install-extension` would. */
export async function installVsix(bin, vsix, extensionsDir) {
  const home = tempDir('chs-cs-install-home-');
  const r = spawnSync(process.execPath, [bin, '--extensions-dir', extensionsDir, '--install-extension', vsix], {
    encoding: 'utf8',
    env: {
      ...process.env,
      HOME: home,
      XDG_CONFIG_HOME: join(home, '.config'),
      XDG_DATA_HOME: join(home, '.local/share'),
    },
  });
  rmSync(home, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`code-server --install-extension failed: ${r.stderr || r.stdout}`);
}

/**
 * Opens the workbench on `workspace`, the Container HTTPS view, and right-click → Expose over
 * HTTPS… on the container: resolves to the tree item and the host name input that opened.
 */
export async function rightClickExpose(page, serverUrl, workspace, containerName) {
  await openContainersView(page, serverUrl, workspace);
  const item = page.getByRole('tree', { name: 'Containers' }).getByRole('treeitem').filter({ hasText: containerName });
  await item.waitFor({ timeout: 60_000 });
  await contextMenu(page, item, 'Expose over HTTPS…');
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ timeout: 30_000 });
  return { item, input };
}

/** Loads the workbench on `workspace` (a new extension host) and opens the Container HTTPS view. */
export async function openContainersView(page, serverUrl, workspace) {
  await page.goto(`${serverUrl}/?folder=${encodeURIComponent(workspace)}`);
  await page
    .locator('#workbench\\.parts\\.activitybar a.action-label[aria-label^="Container HTTPS"]')
    .click({ timeout: 60_000 });
}

/**
 * The Containers view's row whose label is exactly `label`: a container's route rows carry its
 * name in their URLs, so matching on text alone would find those too.
 */
export function treeRow(page, label) {
  const exact = new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`);
  return page
    .getByRole('tree', { name: 'Containers' })
    .getByRole('treeitem')
    .filter({ has: page.locator('.label-name', { hasText: exact }) });
}

/** Clicks a collapsed row open (the tree's default single-click expand) and waits until it is. */
export async function expand(row) {
  if ((await row.getAttribute('aria-expanded')) !== 'true') await row.click();
  const deadline = Date.now() + 30_000;
  while ((await row.getAttribute('aria-expanded')) !== 'true') {
    if (Date.now() > deadline) throw new Error('the container row did not expand');
    await sleep(200);
  }
}

/** Right-click `item`, then the context menu's `command`. */
export async function contextMenu(page, item, command) {
  await item.click({ button: 'right' });
  const menuItem = page.getByRole('menuitem', { name: command });
  await menuItem.hover();
  await sleep(250); // the context menu ignores a click that arrives before it settles
  await menuItem.click();
}

/**
 * Expose over HTTPS…'s optional path step, after the host name: types `path` (empty: the whole
 * host, as a user pressing Enter) and accepts it.
 */
export async function answerPathStep(page, input, path = '') {
  await page.locator('.quick-input-widget').filter({ hasText: 'Path on' }).waitFor({ timeout: 30_000 });
  await input.fill(path);
  await input.press('Enter');
}

/** Closes a workbench test's browser and code-server, then the proxy the extension started. */
export async function closeWorkbench({ browser, server, stateDir }) {
  await browser?.close();
  await server?.stop();
  await stopDaemon(stateDir).catch(() => undefined);
}

/**
 * One UI test's fresh workbench: a temp folder (state dir, workspace, extensions), `setup`'s
 * own pieces (a container…), the .vsix installed, code-server with the test settings (plus
 * `settings`) and a browser page; `fn` runs with them, a screenshot is kept if it fails. Then,
 * whatever happened: `beforeClose` (undo what the test changed on the machine), the workbench
 * and daemon closed, `afterClose` (remove `setup`'s pieces), the temp folder removed.
 */
export async function withWorkbench(
  { bin, vsix, prefix, setup, settings = {}, env, wrap, browserPath, beforeClose, afterClose },
  fn,
) {
  const tmp = tempDir(prefix);
  const ctx = { tmp, stateDir: join(tmp, 'state'), workspace: join(tmp, 'workspace') };
  const extensionsDir = join(tmp, 'extensions');
  mkdirSync(ctx.workspace);
  let extras;
  let server;
  let browser;
  try {
    extras = await setup?.(ctx);
    await installVsix(bin, vsix, extensionsDir);
    server = await startCodeServer({
      bin,
      extensionsDir,
      userSettings: { ...testSettings(ctx.stateDir), ...settings },
      folder: ctx.workspace,
      env,
      wrap,
    });
    browser = await launchBrowser(browserPath);
    const page = await browser.context.newPage();
    return await withFailureShot(page, () => fn({ ...ctx, ...extras, page, server }));
  } finally {
    beforeClose?.(ctx);
    await closeWorkbench({ browser, server, stateDir: ctx.stateDir });
    await afterClose?.(extras ?? {});
    removeTemp(tmp);
  }
}

/** Removes a test's temp folder, or keeps it with CHS_E2E_KEEP=1 (logs, browser console) for debugging. */
export function removeTemp(tmp) {
  if (!process.env.CHS_E2E_KEEP) rmSync(tmp, { recursive: true, force: true });
  else log(`kept ${tmp}`);
}

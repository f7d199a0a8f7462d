// Issue 16's editor part in the real workbench (code-server + Chromium):
//   Share on LAN… on an exposed container shows the LAN URL (notification, `LAN: NAME.local` on
//   its route row, `$(broadcast) 1` in the status bar); Set Up a Phone… shows a QR code in a
//   webview whose decoded text (jsQR over the PNG) is the daemon's one-time CA URL, and that URL
//   answers from the "phone".
// The daemon runs in a network namespace "laptop" joined to a namespace "phone" by a veth pair
// (test/support/lanNet.ts), so nothing listens on the machine's own network: the test starts it
// there before the workbench, and the extension attaches to it over the state dir's unix socket.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import {
  ROOT,
  contextMenu,
  control,
  log,
  openContainersView,
  sleep,
  startComposeContainer,
  treeRow,
  uniqueName,
  withWorkbench,
} from './lib.mjs';

const require = createRequire(import.meta.url);

/** Why this suite cannot run here (the namespaces need root and ip/nsenter), or undefined. */
export function uiLanMissing() {
  return require(join(ROOT, 'out/test/support/lanNet.js')).lanNetMissing();
}

export async function runUiLan({ bin, vsix }) {
  const { LanNet } = require(join(ROOT, 'out/test/support/lanNet.js'));
  const net = new LanNet();
  const project = uniqueName('chs-ui-lan');
  const t0 = Date.now();
  let serve;
  let container;
  await withWorkbench(
    {
      bin,
      vsix,
      prefix: 'chs-ui-lan-',
      setup: async ({ stateDir }) => {
        net.up();
        container = startComposeContainer(project);
        serve = spawn(
          'nsenter',
          [
            `--net=/run/netns/${net.laptop}`,
            process.execPath,
            join(ROOT, 'dist/cli.js'),
            'serve',
            '--state-dir',
            stateDir,
            '--https-port',
            '8443',
            '--http-port',
            '8080',
            '--auto-domains',
            'off',
          ],
          { stdio: 'ignore' },
        );
        for (let i = 0; ; i++) {
          if (await control(stateDir, 'GET', '/v1/status')) break;
          if (i > 150 || serve.exitCode !== null) throw new Error('the daemon in the laptop namespace did not start');
          await sleep(100);
        }
        const host = `${project}.localhost`;
        const cli = spawnSync(
          process.execPath,
          [
            join(ROOT, 'dist/cli.js'),
            'expose',
            host,
            `container:${container.name}:8000`,
            '--state-dir',
            stateDir,
            '--wait',
            '0',
          ],
          { encoding: 'utf8' },
        );
        // The container's address is on the engine's bridge, out of the laptop namespace's reach:
        // the route exists and has its certificate; whether it answers is not what is tested here.
        if (!/added|->/.test(cli.stdout + cli.stderr)) throw new Error(`expose failed: ${cli.stderr}`);
        return { host };
      },
      afterClose: async () => {
        serve?.kill('SIGTERM');
        container?.remove();
        await net.remove();
      },
    },
    async ({ page, server, workspace, stateDir, host }) => {
      await openContainersView(page, server.url, workspace);
      const row = treeRow(page, container.name);
      await row.waitFor({ timeout: 60_000 });
      await contextMenu(page, row, 'Share on LAN…');
      const widget = page.locator('.quick-input-widget');
      await widget.filter({ hasText: 'Anyone on this network' }).waitFor({ timeout: 30_000 });
      await page.locator('.quick-input-widget input.input').press('Enter');
      const lanName = `${project}.local`;
      const toast = page.locator('.notification-toast').filter({ hasText: `https://${lanName}:8443/` });
      await toast.waitFor({ timeout: 60_000 });
      assert.match(
        await toast.innerText(),
        new RegExp(`${host} is on the LAN as https://${lanName.replace(/\./g, '\\.')}:8443/`),
      );
      // The route row under the container and the status bar say so.
      if ((await row.getAttribute('aria-expanded')) !== 'true') await row.click();
      await page
        .getByRole('tree', { name: 'Containers' })
        .getByRole('treeitem')
        .filter({ hasText: `LAN: ${lanName}` })
        .waitFor({ timeout: 30_000 });
      const status = page
        .locator('#workbench\\.parts\\.statusbar .statusbar-item')
        .filter({ has: page.locator('.codicon-broadcast') });
      await status.first().waitFor({ timeout: 30_000 });
      assert.match((await status.first().innerText()).trim(), /^1\s+1\b/, 'lock 1, broadcast 1');

      // Set Up a Phone… from the palette: a webview with the QR code.
      await page.keyboard.press('F1');
      const input = page.locator('.quick-input-widget input.input');
      await input.fill('>Container HTTPS: Set Up a Phone');
      await page.locator('.quick-input-list .monaco-list-row').filter({ hasText: 'Set Up a Phone' }).first().waitFor();
      await input.press('Enter');
      const frame = page.frameLocator('iframe.webview').frameLocator('iframe#active-frame');
      const img = frame.locator('img#qr');
      await img.waitFor({ timeout: 60_000 });
      const src = await img.getAttribute('src');
      const shownUrl = (await frame.locator('#url').innerText()).trim();
      const fingerprint = (await frame.locator('#fingerprint').innerText()).trim();
      assert.match(await frame.locator('#expiry').innerText(), /This link works for (10:00|9:\d\d) more/);
      const png = PNG.sync.read(Buffer.from(src.replace(/^data:image\/png;base64,/, ''), 'base64'));
      const decoded = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
      assert.ok(decoded, 'the QR code decodes');
      assert.equal(decoded.data, shownUrl);
      const lan = await control(stateDir, 'GET', '/v1/lan');
      assert.equal(decoded.data, lan.caShare.url, 'the QR code is the daemon’s token URL');
      assert.match(
        decoded.data,
        new RegExp(`^http://${net.laptopIp.replace(/\./g, '\\.')}:8080/ca/[A-Za-z0-9_-]{22}$`),
      );
      assert.equal(fingerprint, lan.caShare.fingerprint256);
      // The phone opens it.
      const got = net.phoneDo('get', decoded.data);
      assert.equal(got.status, 200);
      assert.match(Buffer.from(got.body, 'base64').toString('utf8'), new RegExp(fingerprint));
      log(`ui lan: ${decoded.data}`);
    },
  );
  return { wallS: (Date.now() - t0) / 1000 };
}

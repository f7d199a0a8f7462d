// No port in the URL, from the editor: the workbench offers `ports setup` once URLs carry a
// port, "Set Up" runs it in a terminal, and the URLs the editor shows lose the port. Everything
// (code-server, its extension host and daemon, the terminal, Chromium) runs in a network
// namespace this suite creates, so the nft rules never reach the machine, and the config files
// go to a config root of its own ($CONTAINER_HTTPS_CONFIG_ROOT). Here the workbench runs as root,
// so the terminal needs no sudo; test/ports/standardPorts.test.ts runs the daemon as nobody.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addNamespace, deleteNamespace } from '../services/netns.cjs';
import { ROOT, control, log, openContainersView, sleep, statePaths, tempDir, withWorkbench } from './lib.mjs';

/** Why this suite cannot run here, or undefined. */
export function uiPortsMissing() {
  if (process.platform !== 'linux') return 'Linux only (nftables, network namespaces)';
  if (process.getuid?.() !== 0) return 'needs root: the suite creates a network namespace';
  if (spawnSync('sh', ['-c', 'command -v nft']).status !== 0) return 'nft is not installed (nftables)';
  return undefined;
}

export async function runUiPorts({ bin, vsix }) {
  const started = Date.now();
  const work = tempDir('chs-ui-ports-ns-');
  const configRoot = join(work, 'root');
  mkdirSync(join(configRoot, 'etc'), { recursive: true });
  writeFileSync(join(configRoot, 'etc', 'nftables.conf'), '#!/usr/sbin/nft -f\n\nflush ruleset\n');
  const ns = addNamespace('chs-uiports-');
  const inNs = ['nsenter', `--net=/run/netns/${ns}`];
  let backend;
  try {
    const www = join(work, 'www');
    mkdirSync(www);
    writeFileSync(join(www, 'index.html'), 'hello from behind the standard port\n');
    backend = spawn(inNs[0], [...inNs.slice(1), '/bin/busybox', 'httpd', '-f', '-p', '127.0.0.1:5080', '-h', www], {
      stdio: 'ignore',
    });
    const browserPath = join(work, 'chromium-in-netns');
    writeFileSync(
      browserPath,
      `#!/bin/sh\nexec nsenter --net=/run/netns/${ns} ${process.env.CHROMIUM_PATH || '/usr/bin/chromium'} "$@"\n`,
      { mode: 0o755 },
    );
    return await withWorkbench(
      {
        bin,
        vsix,
        prefix: 'chs-ui-ports-',
        wrap: inNs,
        browserPath,
        env: { CONTAINER_HTTPS_CONFIG_ROOT: configRoot },
        settings: { 'containerHttps.proxy.offerStandardPorts': true },
      },
      async ({ page, server, stateDir, workspace }) => {
        await openContainersView(page, server.url, workspace);
        let daemon;
        const deadline = Date.now() + 60_000;
        while (!(daemon = await control(stateDir, 'GET', '/v1/status'))) {
          if (Date.now() > deadline) throw new Error('the extension started no daemon within 60 s');
          await sleep(250);
        }
        assert.equal(daemon.ports.mode, 'own-port', JSON.stringify(daemon.ports));
        const port = daemon.https.port;
        const expose = await run([
          ...inNs,
          process.execPath,
          join(ROOT, 'dist', 'cli.js'),
          'expose',
          'web.localhost',
          'http://127.0.0.1:5080',
          '--state-dir',
          stateDir,
        ]);
        assert.equal(expose.code, 0, expose.out);

        // Before: the editor's URL carries the port (the status bar's certificate pick lists it).
        await certificatePickRow(page, `https://web.localhost:${port}/ → http://127.0.0.1:5080`);
        await page.keyboard.press('Escape');

        // The offer, once: Set Up runs ports setup in a terminal.
        const toast = page.locator('.notification-toast').filter({ hasText: 'without a port?' });
        await toast.waitFor({ timeout: 60_000 });
        assert.match(await toast.innerText(), new RegExp(`end in :${port}\\.`));
        for (const choice of ['Set Up', 'Not Now', "Don't Ask Again"])
          await toast.getByRole('button', { name: choice, exact: true }).waitFor({ timeout: 10_000 });
        await toast.getByRole('button', { name: 'Set Up', exact: true }).click();
        await page.locator('.terminal-wrapper, .xterm').first().waitFor({ timeout: 30_000 });
        const until = Date.now() + 120_000;
        let ports;
        while ((ports = (await control(stateDir, 'GET', '/v1/status'))?.ports)?.mode !== 'standard') {
          if (Date.now() > until)
            throw new Error(`ports setup did not take effect within 120 s: ${JSON.stringify(ports)}`);
          await sleep(500);
        }

        // After: the same pick lists the URL without a port, and it answers, verified against our CA.
        await certificatePickRow(page, 'https://web.localhost/ → http://127.0.0.1:5080');
        await page.keyboard.press('Escape');
        const curl = spawnSync(
          inNs[0],
          [...inNs.slice(1), 'curl', '-sS', '--cacert', statePaths(stateDir).caCert, 'https://web.localhost/'],
          { encoding: 'utf8' },
        );
        assert.equal(curl.stdout, 'hello from behind the standard port\n', curl.stderr);
        const wallS = (Date.now() - started) / 1000;
        log(`ui: ports offer → Set Up → terminal → https://web.localhost/ without :${port} (${wallS.toFixed(1)} s)`);
        return { wallS, port };
      },
    );
  } finally {
    backend?.kill('SIGKILL');
    // The namespace takes its ruleset with it; the config root is the suite's own.
    deleteNamespace(ns);
    rmSync(work, { recursive: true, force: true });
  }
}

/** Clicks the status bar item (Show Certificates) and waits for a row whose detail has `text`. */
async function certificatePickRow(page, text) {
  await page
    .locator('#workbench\\.parts\\.statusbar .statusbar-item')
    .filter({ has: page.locator('.codicon-lock') })
    .first()
    .click();
  await page
    .locator('.quick-input-list .monaco-list-row')
    .filter({ hasText: text })
    .first()
    .waitFor({ timeout: 30_000 });
}

function run(argv) {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code, out }));
  });
}

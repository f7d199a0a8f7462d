// The editor's tests, run by scripts/test.mjs after the node tests (or alone: node test/e2e/run.mjs
// after `node scripts/build.mjs && npx tsc -p tsconfig.json`, with a Docker engine running):
//   1. package check (vsce, offline; contents of the .vsix),
//   2. the mocha suite in test/extension inside a real workbench (code-server, Node extension host),
//   3. the UI end to end with Playwright + Chromium (local CA; a path route; a container's
//      Traefik routers; the request inspector; Let's Encrypt against Pebble; Docker unreachable).
// code-server is installed once per machine outside the project (see codeServer.mjs). Everything
// started here is stopped here. Prints `editor: N passed, M failed` and exits non-zero on failure.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureCodeServer } from './codeServer.mjs';
import { ROOT, log, tempDir } from './lib.mjs';
import { packageCheck } from './packageCheck.mjs';
import { runUiAcme } from './uiAcme.mjs';
import { runUiAutoDomains } from './uiAutoDomains.mjs';
import { runUiDockerUnreachable, runUiExpose } from './uiExpose.mjs';
import { runUiPorts, uiPortsMissing } from './uiPorts.mjs';
import { runUiLan, uiLanMissing } from './uiLan.mjs';
import { runUiInspector } from './uiInspector.mjs';
import { runUiPathExpose, runUiRouters } from './uiRouters.mjs';
import { runWorkbenchSuite } from './workbenchSuite.mjs';

const isCI = process.env.CI === 'true' || process.env.CI === '1';
// CHS_E2E_ONLY=SUBSTRING runs only the suites whose name contains it, in any case (while working
// on one): `inspector` finds uiInspector.
const only = process.env.CHS_E2E_ONLY?.toLowerCase();
const want = (name) => !only || name.toLowerCase().includes(only);
let passed = 0;
let failed = 0;
let skipped = 0;
const pass = (what) => (passed++, console.log(`  ✔ ${what}`));
const fail = (what, why) => (failed++, console.log(`  ✖ ${what}\n      ${String(why).split('\n').join('\n      ')}`));
const skip = (what, why) => (skipped++, console.log(`  - ${what} (skipped: ${why})`));

process.chdir(ROOT);
if (!existsSync(join(ROOT, 'out/test/extension/index.js')) || !existsSync(join(ROOT, 'dist/extension.js'))) {
  if (
    spawnSync('node', ['scripts/build.mjs'], { stdio: 'inherit' }).status ||
    spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' }).status
  ) {
    console.log('editor: 0 passed, 1 failed (build)');
    process.exit(1);
  }
}

console.log('editor tests');
const tmp = tempDir('chs-editor-');
try {
  const pkg = packageCheck(tmp);
  if (pkg.problems.length) fail('package: vsce package and .vsix contents', pkg.problems.join('\n'));
  else
    pass(
      `package: .vsix holds exactly ${pkg.files.length} files (dist bundles, media, README, CHANGELOG, LICENSE, manifest)`,
    );

  const noDocker = process.env.CHS_TEST_NO_DOCKER;
  const noChromium = !existsSync(process.env.CHROMIUM_PATH || '/usr/bin/chromium');
  const missing = noDocker
    ? `no Docker engine: ${noDocker}`
    : noChromium
      ? 'Chromium is not installed (apt-get install -y chromium)'
      : undefined;
  let bin;
  if (!missing) {
    try {
      bin = ensureCodeServer().bin;
    } catch (err) {
      fail('install code-server', err.message);
    }
  }
  if (missing && isCI) fail('editor workbench tests', missing);
  else if (missing) {
    skip('workbench suite', missing);
    skip('UI end to end', missing);
  } else if (bin) {
    if (pkg.problems.length) {
      fail('workbench suite', 'needs the .vsix');
    } else {
      const extensionDir = join(tmp, 'unpacked');
      mkdirSync(extensionDir);
      spawnSync('unzip', ['-q', pkg.vsix, 'extension/*', '-d', extensionDir]);
      const t0 = Date.now();
      if (want('workbench'))
        try {
          const results = await runWorkbenchSuite({ bin, extensionDir: join(extensionDir, 'extension') });
          for (const t of results.tests) {
            if (t.state === 'passed') pass(`workbench: ${t.title}`);
            else if (t.state === 'pending') skip(`workbench: ${t.title}`, 'pending');
            else fail(`workbench: ${t.title}`, t.error);
          }
          if (results.failed && !results.tests.some((t) => t.state === 'failed'))
            fail('workbench suite', 'the workbench reported a failure outside a test (see the browser console log)');
          log(`workbench suite: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        } catch (err) {
          fail('workbench suite', err.stack ?? err);
        }
      if (want('uiExpose'))
        try {
          const { wallS } = await runUiExpose({ bin, vsix: pkg.vsix });
          pass(
            `ui: right-click → Expose over HTTPS… → notification, $(lock) 1, URL verified against our CA (${wallS.toFixed(1)} s wall time); then Expose a Local Port… from the command palette → $(lock) 2, verified; Open in Browser opens that URL in a new tab; Trust Local CA runs ca trust in a terminal and the status bar's CA warning goes`,
          );
        } catch (err) {
          fail('ui: right-click → Expose over HTTPS…', err.stack ?? err);
        }
      if (want('uiPathExpose'))
        try {
          const { wallS } = await runUiPathExpose({ bin, vsix: pkg.vsix });
          pass(
            `ui: Expose over HTTPS… with a path: the whole host, then /files with Strip (a path without / refused as the daemon refuses it), both rows under the container, /files verified over HTTPS; Stop Exposing on the /files row removes that route only (${wallS.toFixed(1)} s)`,
          );
        } catch (err) {
          fail('ui: Expose over HTTPS… with a path', err.stack ?? err);
        }
      if (want('uiRouters'))
        try {
          const { wallS, url } = await runUiRouters({ bin, vsix: pkg.vsix });
          pass(
            `ui: a container with two Traefik routers (/ and /api, one port each) shows both rows with the rule on hover; both paths verified over HTTPS; Open in Browser on the /api row opens ${url} (${wallS.toFixed(1)} s)`,
          );
        } catch (err) {
          fail('ui: two routers of one container', err.stack ?? err);
        }
      if (want('uiAutoDomains'))
        try {
          const { wallS, url } = await runUiAutoDomains({ bin, vsix: pkg.vsix });
          pass(
            `ui: with autoDomains=compose a compose container shows ${url} in the tree without a click, verified over HTTPS; Open in Browser opens it (${wallS.toFixed(1)} s)`,
          );
        } catch (err) {
          fail('ui: automatic names in the tree', err.stack ?? err);
        }
      if (want('uiInspector'))
        try {
          const { wallS } = await runUiInspector({ bin, vsix: pkg.vsix });
          pass(
            `ui: two 5xx answers take the view's badge; Inspect Requests from the palette clears it and lists a route's requests in the Inspector webview; a click shows its headers and body; Replay adds the replay's row, live; Save as HAR writes a file valid against the HAR 1.2 schema; Inspect Requests on a container's route row opens it filtered to that host, its one-line HTML page shown indented; the status bar's pick opens it filtered to the host picked; the palette then shows every host again (${wallS.toFixed(1)} s)`,
          );
        } catch (err) {
          fail('ui: the request inspector', err.stack ?? err);
        }
      const noPebble =
        process.env.CHS_TEST_NO_PEBBLE ||
        (!existsSync(process.env.CHS_PEBBLE_BIN || '/usr/bin/pebble')
          ? 'pebble is not installed (apt-get install pebble)'
          : undefined);
      if (!want('uiAcme')) {
        // filtered out by CHS_E2E_ONLY
      } else if (noPebble && isCI) fail("ui: Let's Encrypt from the editor", noPebble);
      else if (noPebble) skip("ui: Let's Encrypt from the editor", noPebble);
      else {
        try {
          const { wallS } = await runUiAcme({ bin, vsix: pkg.vsix });
          pass(
            `ui: Let's Encrypt from the editor: a public name typed in Expose over HTTPS…, the CA's terms accepted in the modal, HTTP-01 validated by Pebble, URL verified against Pebble's root (${wallS.toFixed(1)} s)`,
          );
        } catch (err) {
          fail("ui: Let's Encrypt from the editor", err.stack ?? err);
        }
      }
      const noPorts = uiPortsMissing();
      if (!want('uiPorts')) {
        // filtered out by CHS_E2E_ONLY
      } else if (noPorts && isCI) fail('ui: no port in the URL from the editor', noPorts);
      else if (noPorts) skip('ui: no port in the URL from the editor', noPorts);
      else
        try {
          const { wallS, port } = await runUiPorts({ bin, vsix: pkg.vsix });
          pass(
            `ui: no port in the URL: the editor offers ports setup once URLs carry :${port} (Set Up / Not Now / Don't Ask Again), Set Up runs it in a terminal (in a network namespace of the suite's own), and the status bar's pick then lists https://web.localhost/ without the port, verified over HTTPS (${wallS.toFixed(1)} s)`,
          );
        } catch (err) {
          fail('ui: no port in the URL from the editor', err.stack ?? err);
        }
      const noLan = want('uiLan') ? uiLanMissing() : undefined;
      if (!want('uiLan')) {
        // filtered out by CHS_E2E_ONLY
      } else if (noLan && isCI) fail('ui: Share on LAN… and Set Up a Phone…', noLan);
      else if (noLan) skip('ui: Share on LAN… and Set Up a Phone…', noLan);
      else {
        try {
          const { wallS } = await runUiLan({ bin, vsix: pkg.vsix });
          pass(
            `ui: Share on LAN… on an exposed container (daemon in a network namespace of the test's own) shows the .local URL in a notification, on the route row and in the status bar; Set Up a Phone… shows a QR code that decodes to the daemon's one-time CA URL, which the "phone" namespace opens (${wallS.toFixed(1)} s)`,
          );
        } catch (err) {
          fail('ui: Share on LAN… and Set Up a Phone…', err.stack ?? err);
        }
      }
      if (want('uiDockerUnreachable'))
        try {
          await runUiDockerUnreachable({ bin, vsix: pkg.vsix });
          pass(
            'ui: Docker unreachable shows the endpoint, the error, Retry and Open Settings (which opens the Docker settings)',
          );
        } catch (err) {
          fail('ui: Docker unreachable', err.stack ?? err);
        }
    }
  }
} catch (err) {
  fail('editor harness', err.stack ?? err);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
console.log(`editor: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed ? 1 : 0);

// Runs test/extension's mocha suite inside a code-server workbench's Node extension host, via
// the web workbench's `payload` parameter (extensionDevelopmentPath + extensionTestsPath) — the
// mechanism @vscode/test-web uses. The extension under test is the unpacked .vsix, so the run
// also proves the package works without node_modules.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { startCodeServer } from './codeServer.mjs';
import { ROOT, closeWorkbench, launchBrowser, removeTemp, tempDir, testSettings } from './lib.mjs';

/** Returns { passed, failed, tests } from the suite, or throws when the workbench never reported. */
export async function runWorkbenchSuite({ bin, extensionDir, timeoutMs = 300_000 }) {
  const tmp = tempDir('chs-suite-');
  const stateDir = join(tmp, 'state');
  const workspace = join(tmp, 'workspace');
  mkdirSync(workspace);
  const resultsFile = join(tmp, 'results.json');
  const consoleLog = join(tmp, 'browser-console.log');
  const lines = [];
  let server;
  let browser;
  try {
    server = await startCodeServer({
      bin,
      extensionsDir: join(tmp, 'extensions'),
      userSettings: testSettings(stateDir),
      folder: workspace,
      env: { CHS_E2E_RESULTS: resultsFile },
    });
    browser = await launchBrowser();
    const page = await browser.context.newPage();
    page.on('console', (m) => lines.push(`[${m.type()}] ${m.text()}`));
    const exited = new Promise((resolve) => page.exposeFunction('codeAutomationExit', (code) => resolve(code)));
    const remote = (p) => `vscode-remote://127.0.0.1:${server.port}${p}`;
    const payload = [
      ['extensionDevelopmentPath', remote(extensionDir)],
      ['extensionTestsPath', remote(join(ROOT, 'out/test/extension/index'))],
    ];
    await page.goto(
      `${server.url}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`,
    );
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), timeoutMs))]);
    writeFileSync(consoleLog, lines.join('\n'));
    if (!existsSync(resultsFile)) {
      throw new Error(
        `the workbench suite did not report results (exit ${code}); browser console: ${consoleLog}, server log: ${server.logFile}`,
      );
    }
    const results = JSON.parse(readFileSync(resultsFile, 'utf8'));
    if (code !== 0 && results.failed === 0) results.failed = 1; // the workbench saw a failure mocha did not count
    return results;
  } finally {
    await closeWorkbench({ browser, server, stateDir });
    removeTemp(tmp);
  }
}

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { testSettings } from './testSettings';

/**
 * For machines that can download VS Code desktop: `node out/test/extension/runTests.js` runs the
 * same suite in a real Electron workbench. (Here, test/e2e/run.mjs runs it in code-server.)
 * Fresh profile, temp state dir and free ports, so it never touches the user's daemon.
 */
async function main(): Promise<void> {
  const root = path.resolve(__dirname, '..', '..', '..');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'chs-vscode-'));
  const userData = path.join(tmp, 'user-data');
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.writeFileSync(
    path.join(userData, 'User', 'settings.json'),
    JSON.stringify(testSettings(path.join(tmp, 'state')), null, 2),
  );
  const workspace = path.join(tmp, 'workspace');
  fs.mkdirSync(workspace);
  try {
    await runTests({
      version: process.env.VSCODE_VERSION ?? 'stable',
      extensionDevelopmentPath: root,
      extensionTestsPath: path.join(__dirname, 'index'),
      launchArgs: [workspace, '--user-data-dir', userData, '--disable-extensions', '--disable-workspace-trust'],
      extensionTestsEnv: { CHS_E2E_RESULTS: path.join(tmp, 'results.json') },
    });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}

import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

/**
 * The entry the workbench loads as `extensionTestsPath` (both @vscode/test-electron and the
 * code-server payload used by test/e2e/run.mjs): runs every *.test.js beside it with mocha.
 * With CHS_E2E_RESULTS set, also writes {passed, failed, tests} there for the harness.
 */
export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 90_000, color: false, reporter: 'spec' });
  for (const f of fs
    .readdirSync(__dirname)
    .filter((n) => n.endsWith('.test.js'))
    .sort())
    mocha.addFile(path.join(__dirname, f));
  const results: Array<{ title: string; state: 'passed' | 'failed' | 'pending'; error?: string }> = [];
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const file = process.env.CHS_E2E_RESULTS;
      if (file) {
        const passed = results.filter((r) => r.state === 'passed').length;
        fs.writeFileSync(
          file,
          JSON.stringify(
            { passed, failed: results.filter((r) => r.state === 'failed').length, tests: results },
            null,
            2,
          ),
        );
      }
      if (failures) reject(new Error(`${failures} editor test(s) failed`));
      else resolve();
    });
    runner.on('pass', (t) => results.push({ title: t.fullTitle(), state: 'passed' }));
    runner.on('fail', (t, err: Error) =>
      results.push({ title: t.fullTitle(), state: 'failed', error: err?.stack ?? String(err) }),
    );
    runner.on('pending', (t) => results.push({ title: t.fullTitle(), state: 'pending' }));
  });
}

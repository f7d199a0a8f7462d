// Tests that run code as another user must not depend on where the checkout was cloned: a clone
// in a home directory or in `mktemp -d` is private (0700), and another user cannot load from it.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { NOBODY, cliAsUser, runAsUser } from './asUser';
import { ROOT, tempDir } from './env';

describe('running the CLI as another user from a private checkout', () => {
  test('a dist/ inside a 0700 directory: nobody cannot load it directly, but cliAsUser runs its copy', () => {
    const privateCheckout = tempDir('chs-private-clone-');
    try {
      fs.chmodSync(privateCheckout, 0o700);
      fs.cpSync(path.join(ROOT, 'dist'), path.join(privateCheckout, 'dist'), { recursive: true });
      const direct = runAsUser(NOBODY, [process.execPath, path.join(privateCheckout, 'dist', 'cli.js'), '--version']);
      assert.notEqual(
        direct.status,
        0,
        'nobody must not be able to read a 0700 checkout (else this test proves nothing)',
      );
      assert.match(direct.stderr, /Cannot find module|EACCES|permission denied/i);
      const viaCopy = cliAsUser(NOBODY, ['--version'], {}, path.join(privateCheckout, 'dist'));
      assert.equal(viaCopy.status, 0, viaCopy.stderr);
      assert.match(viaCopy.stdout, /\d+\.\d+\.\d+/);
    } finally {
      fs.rmSync(privateCheckout, { recursive: true, force: true });
    }
  });

  test('the copy is removed afterwards', () => {
    const before = fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('chs-cli-copy-'));
    cliAsUser(NOBODY, ['--version']);
    const after = fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('chs-cli-copy-'));
    assert.deepEqual(after.sort(), before.sort());
  });
});

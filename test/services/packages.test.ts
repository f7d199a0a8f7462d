// The one package list (test/services/packages.mjs) is only worth having if nothing goes around
// it: a fresh machine failed once because two packages had been installed by hand and a script
// used them without saying so. These checks read the harness's own source.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { ROOT } from '../support/env';

interface DebianPackage {
  pkg: string;
  provides: string[];
  why: string;
  for: string[];
  base?: boolean;
}

// The list is an ES module and this file is compiled to CommonJS: read it through a child node.
function packageList(): DebianPackage[] {
  const script = `import(${JSON.stringify(path.join(ROOT, 'test/services/packages.mjs'))}).then((m) => console.log(JSON.stringify(m.DEBIAN_PACKAGES)))`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as DebianPackage[];
}

function harnessSources(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.(mjs|ts)$/.test(entry.name)) out.push(full);
    }
  };
  walk(path.join(ROOT, 'test'));
  walk(path.join(ROOT, 'scripts'));
  return out;
}

// Commands that come with Node or with any Debian system (essential packages), never installed.
const ALWAYS_THERE = new Set(['node', 'npm', 'npx', 'sh', 'apt-get']);

describe('the Debian package list of npm test and npm run bench', () => {
  const list = packageList();
  const provided = new Set(list.flatMap((p) => p.provides.map((f) => path.basename(f))));

  test('every entry says what it provides and why it is needed', () => {
    for (const p of list) {
      assert.ok(p.provides.length && p.provides.every((f) => path.isAbsolute(f)), `${p.pkg}: provides absolute paths`);
      assert.ok(p.why.length > 20, `${p.pkg}: a reason`);
      assert.ok(p.for.length && p.for.every((g) => g === 'test' || g === 'bench'), `${p.pkg}: groups`);
    }
    assert.equal(new Set(list.map((p) => p.pkg)).size, list.length, 'each package once');
  });

  test('only packages.mjs runs apt-get; every command the harness runs comes from a listed package', () => {
    const strays: string[] = [];
    const unlisted = new Set<string>();
    for (const file of harnessSources()) {
      const rel = path.relative(ROOT, file);
      const text = fs.readFileSync(file, 'utf8');
      if (rel !== path.join('test', 'services', 'packages.mjs') && /spawn(Sync)?\(\s*'apt-get'/.test(text))
        strays.push(rel);
      if (rel === path.join('test', 'services', 'packages.test.ts')) continue;
      for (const m of text.matchAll(
        /spawn(?:Sync)?\(\s*'([a-z0-9_.-]+)'|command -v ([a-z0-9_.-]+)|'\/(?:usr\/)?s?bin\/([a-z0-9_.-]+)'/g,
      )) {
        const cmd = m[1] ?? m[2] ?? m[3];
        if (!ALWAYS_THERE.has(cmd) && !provided.has(cmd) && cmd !== 'policy-rc.d') unlisted.add(`${cmd} (${rel})`);
      }
    }
    assert.deepEqual(
      strays,
      [],
      'these files install packages on their own: use ensurePackages/hasPackage from test/services/packages.mjs',
    );
    assert.deepEqual(
      [...unlisted],
      [],
      'these commands are used by the harness but no package in test/services/packages.mjs provides them',
    );
  });

  test('with CI=true, npm test on a machine that lacks packages stops before building, naming each and why', () => {
    // CHS_PACKAGES_ROOT makes the check look in an empty folder: a bare machine, with nothing
    // installed for real.
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'chs-pkgroot-'));
    try {
      const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'test.mjs')], {
        encoding: 'utf8',
        env: { ...process.env, CI: 'true', CHS_PACKAGES_ROOT: empty },
        timeout: 60_000,
      });
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /missing Debian packages \(test\/services\/packages\.mjs\):/);
      assert.match(r.stderr, /ripgrep \(\/usr\/bin\/rg absent\): installing code-server offline/);
      assert.match(r.stderr, /libkrb5-dev \(\/usr\/include\/gssapi\/gssapi\.h absent\)/);
      assert.match(r.stderr, /CI=true: a missing package fails the run/);
      assert.doesNotMatch(r.stdout + r.stderr, /running \d+ test files/);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});

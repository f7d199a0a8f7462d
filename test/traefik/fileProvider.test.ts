import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { isUserError } from '../../proxy-core/src/errors';
import { FileProviderSnapshot, TraefikFileProvider } from '../../proxy-core/src/traefik/fileProvider';
import { tempDir } from '../support/env';
import { schemaErrors } from '../support/traefikSchema';
import { MIDDLEWARES_TOML, MIDDLEWARES_YAML } from './stacks';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function freshDir(): string {
  const d = tempDir('chs-traefik-file-');
  dirs.push(d);
  return d;
}

/** The first snapshot (the current one included) that satisfies `check`; the deadline only guards against a hang. */
function snapshotWhere(
  provider: TraefikFileProvider,
  what: string,
  check: (s: FileProviderSnapshot) => boolean,
  timeoutMs = 10_000,
): Promise<FileProviderSnapshot> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      provider.off('config', listener);
      reject(new Error(`timed out waiting for ${what}; last: ${JSON.stringify(provider.snapshot())}`));
    }, timeoutMs);
    const listener = (s: FileProviderSnapshot) => {
      if (!check(s)) return;
      clearTimeout(timer);
      provider.off('config', listener);
      resolve(s);
    };
    provider.on('config', listener);
  });
}

const router = (name: string, host: string) =>
  `http:\n  routers:\n    ${name}:\n      rule: Host(\`${host}\`)\n      service: app\n  services:\n    app:\n      loadBalancer:\n        servers:\n          - url: http://127.0.0.1:3000\n`;

const routerNames = (s: FileProviderSnapshot) => Object.keys(s.config.routers).sort().join(',');

describe('TraefikFileProvider: one file (providers.file.filename)', () => {
  it('write, edit, editor-style save, break, fix, remove, recreate', async () => {
    const dir = freshDir();
    const file = path.join(dir, 'dynamic.yml');
    fs.writeFileSync(file, router('first', 'a.localhost'));
    // Other files beside it are none of its business.
    fs.writeFileSync(path.join(dir, 'other.yml'), router('other', 'o.localhost'));
    const provider = new TraefikFileProvider(file);
    const started = snapshotWhere(provider, 'the first snapshot', () => true);
    try {
      const first = await provider.start();
      assert.deepEqual(await started, first);
      assert.equal(routerNames(first), 'first');
      assert.deepEqual(first.files, [file]);
      assert.deepEqual(first.problems, []);
      assert.deepEqual(schemaErrors(first.config), []);

      let next = snapshotWhere(provider, 'the edit', (s) => routerNames(s) === 'second');
      fs.writeFileSync(file, router('second', 'b.localhost'));
      assert.equal((await next).config.routers.second.rule, 'Host(`b.localhost`)');

      // Editors write a new file and rename it over the old one.
      next = snapshotWhere(provider, 'the renamed save', (s) => routerNames(s) === 'third');
      fs.writeFileSync(`${file}.tmp`, router('third', 'c.localhost'));
      fs.renameSync(`${file}.tmp`, file);
      await next;

      next = snapshotWhere(provider, 'the syntax error', (s) => s.problems.length > 0);
      fs.writeFileSync(file, 'http:\n  routers:\n    broken: [\n');
      const broken = await next;
      assert.equal(routerNames(broken), 'third', 'the last good configuration keeps serving');
      assert.equal(broken.problems.length, 1);
      assert.match(broken.problems[0], /^dynamic\.yml:\d+: .*\(the last good version of this file keeps serving\)$/);

      next = snapshotWhere(provider, 'the fix', (s) => routerNames(s) === 'fixed');
      fs.writeFileSync(file, router('fixed', 'd.localhost'));
      assert.deepEqual((await next).problems, []);

      next = snapshotWhere(provider, 'the removal', (s) => routerNames(s) === '');
      fs.unlinkSync(file);
      const removed = await next;
      assert.deepEqual(removed.files, []);
      assert.match(removed.problems[0], /dynamic\.yml: not there/);

      next = snapshotWhere(provider, 'the file back', (s) => routerNames(s) === 'back');
      fs.writeFileSync(file, router('back', 'e.localhost'));
      assert.deepEqual((await next).problems, []);
    } finally {
      provider.close();
    }
  });

  it('a bad value is a problem with file, line and key while the rest serves', async () => {
    const dir = freshDir();
    const file = path.join(dir, 'dynamic.yaml');
    fs.writeFileSync(file, router('api', 'a.localhost').replace('service: app', 'service: app\n      priority: high'));
    const provider = new TraefikFileProvider(file);
    try {
      const s = await provider.start();
      assert.equal(routerNames(s), 'api');
      assert.deepEqual(s.problems, [
        'dynamic.yaml:6: http.routers.api.priority: "high" is not a number; write a whole number, e.g. 10',
      ]);
    } finally {
      provider.close();
    }
  });

  it('a path that is not there, or not a configuration file, is refused at start with what to pass', async () => {
    const dir = freshDir();
    for (const [target, re] of [
      [path.join(dir, 'missing.yml'), /missing\.yml does not exist; pass the file of providers\.file\.filename/],
      [path.join(dir, 'nodir', 'x'), /does not exist/],
    ] as const) {
      await assert.rejects(new TraefikFileProvider(target).start(), (err) => isUserError(err) && re.test(err.message));
    }
    const json = path.join(dir, 'dynamic.json');
    fs.writeFileSync(json, '{}');
    await assert.rejects(new TraefikFileProvider(json).start(), /is not a \.yml, \.yaml or \.toml file/);
  });
});

describe('TraefikFileProvider: a directory (providers.file.directory)', () => {
  it('merges its files by name, first wins a name, keeps each broken file at its last good version', async () => {
    const dir = freshDir();
    const a = path.join(dir, 'a.yml');
    const b = path.join(dir, 'b.toml');
    const c = path.join(dir, 'c.yml');
    fs.writeFileSync(a, router('api', 'from-a.localhost'));
    fs.writeFileSync(
      b,
      '[http.routers.api]\nrule = "Host(`from-b.localhost`)"\nservice = "app"\n' +
        '[http.routers.web]\nrule = "Host(`web.localhost`)"\nservice = "app"\n',
    );
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not configuration');
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.writeFileSync(path.join(dir, 'sub', 'nested.yml'), router('nested', 'n.localhost'));

    const provider = new TraefikFileProvider(dir);
    try {
      const first = await provider.start();
      assert.deepEqual(first.files, [a, b]);
      assert.equal(routerNames(first), 'api,web');
      assert.equal(first.config.routers.api.rule, 'Host(`from-a.localhost`)');
      assert.deepEqual(first.problems, ['b.toml: router "api" is also declared in a.yml; the one in a.yml is used']);

      // A new file that is broken from the start adds a problem and nothing else.
      let next = snapshotWhere(provider, 'the broken new file', (s) => s.files.includes(c));
      fs.writeFileSync(c, 'http: [\n');
      const withBroken = await next;
      assert.equal(routerNames(withBroken), 'api,web');
      assert.equal(withBroken.problems.length, 2);
      const cProblem = withBroken.problems.find((p) => p.startsWith('c.yml:'));
      assert.match(cProblem ?? '', /^c\.yml:\d+: /);
      assert.doesNotMatch(cProblem ?? '', /keeps serving/, 'there is no good version to keep');

      // Breaking b.toml keeps its routers.
      next = snapshotWhere(provider, 'b.toml broken', (s) => s.problems.some((p) => p.startsWith('b.toml:')));
      fs.writeFileSync(b, '[http.routers.web\n');
      const bBroken = await next;
      assert.equal(routerNames(bBroken), 'api,web');
      assert.ok(
        bBroken.problems.some((p) => /^b\.toml:1: .*keeps serving/.test(p)),
        JSON.stringify(bBroken.problems),
      );

      // Removing a.yml: api now comes from b.toml's last good version.
      next = snapshotWhere(provider, 'a.yml removed', (s) => !s.files.includes(a));
      fs.unlinkSync(a);
      const aGone = await next;
      assert.equal(aGone.config.routers.api.rule, 'Host(`from-b.localhost`)');
      assert.ok(!aGone.problems.some((p) => p.includes('also declared')));

      // The production middlewares, in both formats: the same names, so d.toml's are reported.
      next = snapshotWhere(
        provider,
        'the middleware files',
        (s) => s.files.length === 3 && !s.problems.some((p) => p.startsWith('c.yml:')),
      );
      fs.writeFileSync(c, MIDDLEWARES_YAML);
      fs.writeFileSync(path.join(dir, 'd.toml'), MIDDLEWARES_TOML);
      const stack = await next;
      assert.ok(stack.config.middlewares['security-headers']);
      assert.ok(stack.config.middlewares['rate-limit']);
      assert.ok(
        stack.problems.includes(
          'd.toml: middleware "security-headers" is also declared in c.yml; the one in c.yml is used',
        ),
        JSON.stringify(stack.problems),
      );
    } finally {
      provider.close();
    }
  });

  it('after close() it emits nothing more', async () => {
    const dir = freshDir();
    fs.writeFileSync(path.join(dir, 'a.yml'), router('a', 'a.localhost'));
    const provider = new TraefikFileProvider(dir, { debounceMs: 10 });
    await provider.start();
    provider.close();
    let emitted = false;
    provider.on('config', () => (emitted = true));
    fs.writeFileSync(path.join(dir, 'a.yml'), router('b', 'b.localhost'));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(emitted, false);
  });
});

// The run's own network namespaces (test/services/netns.mjs): what the harness starts in one
// (dockerd's bridge and firewall rules, podman's) must stay there. A fresh machine once kept
// docker0, Docker's iptables chains and ip_forward=1 after `npm test`.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { ROOT } from '../support/env';

const isRoot = process.getuid?.() === 0;
const hasIp = spawnSync('ip', ['-V'], { stdio: 'ignore' }).status === 0;

/** Runs `code` with netns.mjs's exports as `ns`, in a child node (the module is ESM, this file CommonJS). */
function withNetns(code: string): string {
  const mod = JSON.stringify(path.join(ROOT, 'test/services/netns.mjs'));
  const script = `const ns = await import(${mod});\n${code}`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

describe(
  'network namespaces of the run (ip netns, root)',
  { skip: !isRoot || !hasIp ? 'needs root and ip' : undefined },
  () => {
    test('a new namespace has only loopback, up; deleting it kills what still runs there', () => {
      const out = withNetns(`
      import('node:child_process').then(async ({ spawn, spawnSync }) => {
        const name = ns.addNamespace('chs-nstest-');
        const [cmd, ...args] = ns.inNamespace(name);
        const links = spawnSync(cmd, [...args, 'ip', '-o', 'link'], { encoding: 'utf8' }).stdout;
        const sleeper = spawn(cmd, [...args, 'sleep', '60'], { stdio: 'ignore' });
        await new Promise((r) => setTimeout(r, 300));
        const pids = spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8' }).stdout.trim();
        const deleted = ns.deleteNamespace(name);
        const exit = await new Promise((r) => sleeper.on('exit', (c, s) => r(s ?? c)));
        console.log(JSON.stringify({ name, links, pids, deleted, exit, sleeper: sleeper.pid }));
      });`);
      const r = JSON.parse(out) as {
        name: string;
        links: string;
        pids: string;
        deleted: boolean;
        exit: string;
        sleeper: number;
      };
      const lines = r.links.split('\n').filter(Boolean);
      assert.equal(lines.length, 1, r.links);
      assert.match(lines[0], /: lo: <LOOPBACK,UP/);
      assert.ok(r.pids.split('\n').includes(String(r.sleeper)), `the sleeper runs in ${r.name}: ${r.pids}`);
      assert.equal(r.deleted, true);
      assert.equal(r.exit, 'SIGKILL');
      assert.equal(fs.existsSync(`/run/netns/${r.name}`), false);
    });

    test('when npm test started its own Docker engine, this test process runs in the run namespace, not the machine', (t) => {
      const name = process.env.CHS_TEST_NETNS;
      if (!name) {
        // scripts/test.mjs isolates a run only when it starts dockerd (no engine answered, root).
        t.diagnostic('not in a run namespace: the Docker engine, if any, was already running');
        return;
      }
      const self = fs.statSync('/proc/self/ns/net').ino;
      assert.equal(fs.statSync(`/run/netns/${name}`).ino, self, `this process is in ${name}`);
      assert.notEqual(Number(process.env.CHS_TEST_MACHINE_NETNS_INO), self, "the machine's namespace is another");
    });
  },
);

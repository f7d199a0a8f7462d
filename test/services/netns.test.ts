// The run's own network namespaces (test/services/netns.cjs): what the harness starts in one
// (dockerd's bridge and firewall rules, podman's) must stay there. A fresh machine once kept
// docker0, Docker's iptables chains and ip_forward=1 after `npm test`.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { ROOT } from '../support/env';
import { namespaces } from '../support/netns';
import { processAlive } from '../support/sockets';

const NETNS_CJS = path.join(ROOT, 'test/services/netns.cjs');

const isRoot = process.getuid?.() === 0;
const hasIp = spawnSync('ip', ['-V'], { stdio: 'ignore' }).status === 0;

describe(
  'network namespaces of the run (ip netns, root)',
  { skip: !isRoot || !hasIp ? 'needs root and ip' : undefined },
  () => {
    test('a new namespace has only loopback, up; deleting it kills what still runs there, and what that started', async () => {
      const name = namespaces.addNamespace('chs-nstest-');
      const [cmd, ...args] = namespaces.inNamespace(name);
      const links = spawnSync(cmd, [...args, 'ip', '-o', 'link'], { encoding: 'utf8' }).stdout;
      // A shell in the namespace whose child moves to a namespace of its own, as a container does.
      const sleeper = spawn(cmd, [...args, 'sh', '-c', 'unshare --net sleep 60 & wait'], { stdio: 'ignore' });
      let inner: number | undefined;
      for (let i = 0; i < 100 && !inner; i++) {
        await new Promise((res) => setTimeout(res, 50));
        const file = `/proc/${sleeper.pid}/task/${sleeper.pid}/children`;
        const kids = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : '';
        inner = kids ? Number(kids.split(' ')[0]) : undefined;
      }
      assert.ok(inner, 'the inner sleep started');
      const pids = namespaces.namespacePids(name);
      const exited = new Promise<string | number | null>((res) => sleeper.on('exit', (c, sig) => res(sig ?? c)));
      const deleted = namespaces.deleteNamespace(name);
      assert.equal(await exited, 'SIGKILL');
      await new Promise((res) => setTimeout(res, 200));
      assert.equal(processAlive(inner!), false, `the inner sleep (${inner}, in a namespace of its own) was killed too`);
      const lines = links.split('\n').filter(Boolean);
      assert.equal(lines.length, 1, links);
      assert.match(lines[0], /: lo: <LOOPBACK,UP/);
      assert.ok(pids.includes(sleeper.pid!), `the sleeper runs in ${name}: ${pids.join(' ')}`);
      assert.equal(deleted, true);
      assert.equal(fs.existsSync(`/run/netns/${name}`), false);
    });

    test('a namespace whose owner was killed before its cleanup is swept; one whose owner lives is kept', async () => {
      const mine = namespaces.addNamespace('chs-nstest-');
      // SIGKILL: the owner runs no cleanup at all, the worst a test file can meet.
      const owner = spawn(
        process.execPath,
        [
          '-e',
          `console.log(require(${JSON.stringify(NETNS_CJS)}).addNamespace('chs-nstest-')); setInterval(() => {}, 1000);`,
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      try {
        const orphan = await new Promise<string>((res, rej) => {
          owner.stdout!.once('data', (d: Buffer) => res(d.toString().trim()));
          owner.once('exit', (c) => rej(new Error(`the owner exited (${c}) before it made its namespace`)));
        });
        assert.match(orphan, new RegExp(`^chs-nstest-[0-9a-f]{6}-p${owner.pid}$`));
        assert.deepEqual(namespaces.sweepOrphans('chs-nstest-'), [], 'nothing is swept while its owner lives');
        const gone = new Promise((res) => owner.once('exit', res));
        owner.kill('SIGKILL');
        await gone;
        assert.equal(fs.existsSync(`/run/netns/${orphan}`), true, 'the killed owner left its namespace');
        assert.deepEqual(namespaces.sweepOrphans('chs-nstest-'), [orphan]);
        assert.equal(fs.existsSync(`/run/netns/${orphan}`), false);
        assert.equal(fs.existsSync(`/run/netns/${mine}`), true, "this process's own namespace is kept");
      } finally {
        owner.kill('SIGKILL');
        namespaces.deleteNamespace(mine);
      }
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

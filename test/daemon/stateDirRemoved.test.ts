import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { watchStateDir } from '../../proxy-core/src/daemon/stateDirWatch';
import { spawnServe } from '../support/daemon';
import { tempDir } from '../support/env';
import { until } from '../support/wait';

/** utime + stime of a process in clock ticks, from /proc (Linux). */
function cpuTicks(pid: number): number | undefined {
  try {
    const fields = fs
      .readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /, '')
      .split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/** Issue 11 item 8b: a daemon whose state dir is deleted under it notices, says so once, and exits. */
test('serve: rm -rf of the state dir stops the daemon by itself, with one line and exit code 1', async () => {
  const serve = await spawnServe(['--no-docker', '--https-port', '0', '--http-port', '0']);
  const pid = serve.child.pid!;
  try {
    const exited = new Promise<number | null>((r) => serve.child.once('exit', (code) => r(code)));
    const before = cpuTicks(pid);
    let last = before;
    fs.rmSync(serve.stateDir, { recursive: true, force: true });
    const code = await until('serve to exit by itself', async () => {
      last = cpuTicks(pid) ?? last;
      return serve.child.exitCode !== null || serve.child.signalCode !== null
        ? await exited.then((c) => ({ c }))
        : undefined;
    });
    assert.equal(code.c, 1, serve.output());
    const said = serve
      .output()
      .split('\n')
      .filter((l) => l.includes(`state directory ${serve.stateDir} was removed: stopping`));
    assert.equal(said.length, 1, serve.output());
    if (before !== undefined && last !== undefined) {
      // A hang guard, not a benchmark: a spinning daemon burns about a second of CPU per second.
      assert.ok(last - before < 200, `the daemon used ${last - before} clock ticks of CPU while stopping`);
    }
    assert.equal(fs.existsSync(serve.stateDir), false, 'nothing recreated the state dir on the way out');
  } finally {
    await serve.stop();
  }
});

test('watchStateDir: a removed dir, and a dir made again, are both reported once; writes in the dir are not', async () => {
  const kept = tempDir();
  fs.writeFileSync(path.join(kept, 'daemon.pid'), 'x');
  const none: string[] = [];
  const stopKept = watchStateDir(kept, path.join(kept, 'daemon.pid'), (d) => none.push(d), 50);
  fs.writeFileSync(path.join(kept, 'routes.json'), '{}');
  fs.rmSync(path.join(kept, 'routes.json'));
  await new Promise((r) => setTimeout(r, 300));
  stopKept();
  assert.deepEqual(none, []);

  for (const replace of [false, true]) {
    const dir = path.join(tempDir(), 'state');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'daemon.pid'), `${process.pid}\n`);
    const calls: string[] = [];
    const stop = watchStateDir(dir, path.join(dir, 'daemon.pid'), (d) => calls.push(d), 100);
    try {
      fs.rmSync(dir, { recursive: true });
      if (replace) fs.mkdirSync(dir);
      await until('the removal to be noticed', () => calls.length > 0);
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(calls, [dir]);
    } finally {
      stop();
    }
  }
});

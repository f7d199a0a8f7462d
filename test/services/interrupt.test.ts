// `npm test` told to stop (test/services/interrupt.mjs): a SIGTERM sent to the run alone used to
// end it on the spot, leaving the dockerd, podman and pebble it had started running.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ROOT, tempDir } from '../support/env';
import { processAlive } from '../support/sockets';

/** A stand-in for scripts/test.mjs: `body` runs as an ES module with Interruptible and require in scope. */
function startRunner(body: string): { child: ReturnType<typeof spawn>; exited: Promise<number | null> } {
  const mod = JSON.stringify(path.join(ROOT, 'test/services/interrupt.mjs'));
  const script = `import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const { Interruptible } = await import(${mod});
${body}`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
  return { child, exited: new Promise((resolve) => child.on('exit', (c) => resolve(c))) };
}

test('a SIGTERM to the run reaches the suite and what it started, then the cleanup runs and the run exits 143', async (t) => {
  const dir = tempDir();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const grandchildPid = path.join(dir, 'grandchild.pid');
  const cleaned = path.join(dir, 'cleaned');
  // The "suite": a node process that starts a sleeper of its own (as node --test starts test files).
  const suite = `const c = require('child_process').spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
require('fs').writeFileSync(${JSON.stringify(grandchildPid)}, String(c.pid)); setInterval(() => {}, 1000);`;
  const { child, exited } = startRunner(`const interrupt = new Interruptible();
const code = await interrupt.run(process.execPath, ['-e', ${JSON.stringify(suite)}]);
const next = await interrupt.run(process.execPath, ['-e', 'process.exit(0)']);
require('fs').writeFileSync(${JSON.stringify(cleaned)}, JSON.stringify({ code, next, signal: interrupt.signal }));
process.exit(interrupt.exitCode(0));`);
  while (!fs.existsSync(grandchildPid) || !fs.readFileSync(grandchildPid, 'utf8')) {
    await new Promise((r) => setTimeout(r, 50));
  }
  const sleeper = Number(fs.readFileSync(grandchildPid, 'utf8'));
  assert.ok(processAlive(sleeper));
  child.kill('SIGTERM');
  assert.equal(await exited, 143);
  const r = JSON.parse(fs.readFileSync(cleaned, 'utf8')) as { code: number; next: number; signal: string };
  assert.deepEqual(r, { code: 1, next: 1, signal: 'SIGTERM' }, 'the suite was ended, the next one not started');
  // The sleeper was in the suite's process group: the signal reached it too.
  for (let i = 0; i < 100 && processAlive(sleeper); i++) await new Promise((res) => setTimeout(res, 50));
  assert.equal(processAlive(sleeper), false, `the suite's child (pid ${sleeper}) is still running`);
});

test('after a SIGTERM the cleanup waits for what the suite started to finish, and kills what outlives the grace period', async (t) => {
  const dir = tempDir();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const pids = path.join(dir, 'pids');
  const lingered = path.join(dir, 'lingered');
  const cleaned = path.join(dir, 'cleaned');
  // As a test file of node --test whose runner has gone: one goes on 1.5 s after the signal (its
  // own cleanup), one ignores it altogether. Both are in the suite's process group.
  const linger = `process.on('SIGTERM', () => setTimeout(() => { require('fs').writeFileSync(${JSON.stringify(lingered)}, 'x'); process.exit(0); }, 1500)); setInterval(() => {}, 1000);`;
  const stubborn = `process.on('SIGTERM', () => {}); setInterval(() => {}, 1000);`;
  const suite = `const { spawn } = require('child_process');
const a = spawn(process.execPath, ['-e', ${JSON.stringify(linger)}], { stdio: 'ignore' });
const b = spawn(process.execPath, ['-e', ${JSON.stringify(stubborn)}], { stdio: 'ignore' });
setTimeout(() => require('fs').writeFileSync(${JSON.stringify(pids)}, a.pid + ' ' + b.pid), 300);
process.on('SIGTERM', () => process.exit(1)); setInterval(() => {}, 1000);`;
  const { child, exited } = startRunner(`const interrupt = new Interruptible({ graceMs: 3000 });
const code = await interrupt.run(process.execPath, ['-e', ${JSON.stringify(suite)}]);
const [a, b] = require('fs').readFileSync(${JSON.stringify(pids)}, 'utf8').split(' ').map(Number);
const { running } = require(${JSON.stringify(path.join(ROOT, 'test/services/procStat.cjs'))});
require('fs').writeFileSync(${JSON.stringify(cleaned)}, JSON.stringify({ code, lingered: require('fs').existsSync(${JSON.stringify(lingered)}), a: running(a), b: running(b) }));
process.exit(interrupt.exitCode(0));`);
  while (!fs.existsSync(pids) || !fs.readFileSync(pids, 'utf8')) await new Promise((r) => setTimeout(r, 50));
  // Should the test fail, the stubborn process must not outlive it.
  const started = fs.readFileSync(pids, 'utf8').split(' ').map(Number);
  t.after(() => {
    for (const pid of started) if (processAlive(pid)) process.kill(pid, 'SIGKILL');
  });
  child.kill('SIGTERM');
  assert.equal(await exited, 143);
  const r = JSON.parse(fs.readFileSync(cleaned, 'utf8')) as { code: number; lingered: boolean; a: boolean; b: boolean };
  assert.deepEqual(
    r,
    { code: 1, lingered: true, a: false, b: false },
    'the cleanup ran after the lingering process had finished and the stubborn one was killed',
  );
});

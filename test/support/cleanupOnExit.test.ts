// A test file that npm test stops with SIGTERM (test/services/interrupt.mjs) still removes what
// it made outside itself: its private dockerd, its LAN namespaces (test/support/cleanupOnExit.ts).
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { tempDir } from './env';

test('cleanupOnExit runs the cleanup on SIGTERM to its end, a second SIGTERM meanwhile included, then the process ends by that signal', async (t) => {
  const dir = tempDir();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const mark = path.join(dir, 'cleaned');
  // The cleanup takes a while and meets a second SIGTERM, as under npm test (group and runner both).
  const script = `require(${JSON.stringify(path.join(__dirname, 'cleanupOnExit.js'))}).cleanupOnExit(() => {
  process.kill(process.pid, 'SIGTERM');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
  require('fs').appendFileSync(${JSON.stringify(mark)}, 'x');
});
console.log('armed'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve) => child.stdout.once('data', resolve));
  const ended = new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  child.kill('SIGTERM');
  assert.equal(await ended, 'SIGTERM');
  assert.equal(fs.readFileSync(mark, 'utf8'), 'x', 'the cleanup ran once');
});

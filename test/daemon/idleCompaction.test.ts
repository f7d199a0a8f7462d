import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type * as net from 'node:net';
import { IdleCompaction } from '../../proxy-core/src/daemon/idleCompaction';
import { setTimeout as sleep } from 'node:timers/promises';

const socket = () => new EventEmitter() as unknown as net.Socket;

test('the heap is compacted once the last connection has been closed for the quiet period, not while one is open', async () => {
  let collections = 0;
  const idle = new IdleCompaction({ quietMs: 50, slackBytes: 0, collect: () => collections++ });
  const [a, b] = [socket(), socket()];
  idle.opened(a);
  idle.opened(b);
  a.emit('close');
  await sleep(100);
  assert.equal(collections, 0, 'one connection is still open');
  b.emit('close');
  await sleep(20);
  const c = socket();
  idle.opened(c);
  c.emit('close');
  await sleep(30);
  assert.equal(collections, 0, 'a new connection restarts the quiet period');
  await sleep(60);
  assert.equal(collections, 1);
  await sleep(100);
  assert.equal(collections, 1, 'an idle daemon is not collected again');
  idle.close();
});

test('a heap with little free space is left alone', async () => {
  let collections = 0;
  const idle = new IdleCompaction({ quietMs: 10, slackBytes: 2 ** 40, collect: () => collections++ });
  const s = socket();
  idle.opened(s);
  s.emit('close');
  await sleep(50);
  assert.equal(collections, 0);
});

test("V8's own full collection is reached without --expose-gc and gives back the heap garbage took", async () => {
  let sizes: [number, number] | undefined;
  const idle = new IdleCompaction({
    quietMs: 10,
    slackBytes: 1,
    compacted: (before, after) => (sizes = [before, after]),
  });
  let junk: unknown[] | undefined = Array.from({ length: 400_000 }, (_, i) => ({ i, s: `garbage ${i}` }));
  assert.equal(junk.length, 400_000);
  junk = undefined;
  const s = socket();
  idle.opened(s);
  s.emit('close');
  await sleep(100);
  assert.ok(sizes, 'compacted');
  assert.ok(sizes[1] < sizes[0], `heap ${sizes[0]} → ${sizes[1]} bytes`);
  assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined', 'the global stays as it was');
});

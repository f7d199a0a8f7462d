import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type * as net from 'node:net';
import * as v8 from 'node:v8';
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

test("V8's own full collection is reached without --expose-gc and frees the garbage", async () => {
  let usedAfter: number | undefined;
  const idle = new IdleCompaction({
    quietMs: 10,
    slackBytes: 1,
    // The heap's total size after a collection is V8's choice (it depends on how busy the
    // machine was); what the collection frees is not.
    compacted: () => (usedAfter = v8.getHeapStatistics().used_heap_size),
  });
  let junk: unknown[] | undefined = Array.from({ length: 400_000 }, (_, i) => ({ i, s: `garbage ${i}` }));
  assert.equal(junk.length, 400_000);
  const usedWithJunk = v8.getHeapStatistics().used_heap_size;
  junk = undefined;
  const s = socket();
  idle.opened(s);
  s.emit('close');
  await sleep(100);
  assert.ok(usedAfter !== undefined, 'compacted');
  assert.ok(usedAfter < usedWithJunk - 10 * 1024 * 1024, `used heap ${usedWithJunk} → ${usedAfter} bytes`);
  assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined', 'the global stays as it was');
});

test('once after start, an idle daemon is compacted whatever the slack (also after connections that closed); not if one is open then', async () => {
  let collections = 0;
  const told: string[] = [];
  const idle = new IdleCompaction({
    startQuietMs: 30,
    quietMs: 10_000,
    slackBytes: 2 ** 40,
    collect: () => collections++,
    compacted: (c) => told.push(c.why),
  });
  idle.start();
  const probe = socket();
  idle.opened(probe);
  probe.emit('close');
  await sleep(80);
  assert.equal(collections, 1, 'compacted once after start, the closed connection no matter');
  assert.deepEqual(told, ['start']);
  await sleep(80);
  assert.equal(collections, 1, 'and only once');
  idle.close();

  let busy = 0;
  const open = new IdleCompaction({ startQuietMs: 30, slackBytes: 0, collect: () => busy++ });
  open.start();
  open.opened(socket());
  await sleep(80);
  assert.equal(busy, 0, 'a connection is open: the start compaction does not run');
  open.close();
});

test('once the on-demand workers that served a load have stopped, the daemon is compacted whatever the slack; not while a connection is open', async () => {
  const told: string[] = [];
  const idle = new IdleCompaction({
    afterLoadMs: 20,
    slackBytes: 2 ** 40,
    collect: () => undefined,
    compacted: (c) => told.push(c.why),
  });
  idle.loadEnded();
  await sleep(80);
  assert.deepEqual(told, ['load']);
  const conn = socket();
  idle.opened(conn);
  idle.loadEnded();
  await sleep(80);
  assert.deepEqual(told, ['load'], 'a connection is open: not now (its close arms the quiet period)');
  idle.close();
});

test('after each compaction the native heap is trimmed, after the collection; a quiet period with little free heap only trims', async () => {
  const steps: string[] = [];
  const told: Array<{ why: string; collected: boolean; trimmed?: boolean }> = [];
  const idle = new IdleCompaction({
    startQuietMs: 20,
    afterLoadMs: 20,
    quietMs: 20,
    slackBytes: 2 ** 40,
    collect: () => steps.push('collect'),
    trimNative: () => (steps.push('trim'), true),
    compacted: ({ why, collected, trimmed, rssBefore, rssAfter }) => {
      assert.ok(rssBefore > 0 && rssAfter > 0);
      told.push({ why, collected, trimmed });
    },
  });
  idle.start();
  await sleep(60);
  assert.deepEqual(steps, ['collect', 'trim']);
  idle.loadEnded();
  await sleep(60);
  const s = socket();
  idle.opened(s);
  s.emit('close');
  await sleep(60);
  assert.deepEqual(steps, ['collect', 'trim', 'collect', 'trim', 'trim']);
  assert.deepEqual(told, [
    { why: 'start', collected: true, trimmed: true },
    { why: 'load', collected: true, trimmed: true },
    { why: 'quiet', collected: false, trimmed: true },
  ]);
  idle.close();
});

test('without a native trim, a quiet period with little free heap does nothing, as before', async () => {
  const told: string[] = [];
  const idle = new IdleCompaction({ quietMs: 10, slackBytes: 2 ** 40, compacted: (c) => told.push(c.why) });
  const s = socket();
  idle.opened(s);
  s.emit('close');
  await sleep(50);
  assert.deepEqual(told, []);
});

test('a trim that cannot run (no addon) is reported as not done, not as nothing to give back', async () => {
  const told: Array<{ collected: boolean; trimmed?: boolean }> = [];
  const idle = new IdleCompaction({
    quietMs: 10,
    slackBytes: 2 ** 40,
    trimNative: () => undefined,
    compacted: ({ collected, trimmed }) => told.push({ collected, trimmed }),
  });
  const s = socket();
  idle.opened(s);
  s.emit('close');
  await sleep(50);
  assert.deepEqual(told, [{ collected: false, trimmed: undefined }]);
});

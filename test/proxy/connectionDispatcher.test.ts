import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { ConnectionDispatcher, ConnectionTaker } from '../../proxy-core/src/proxy/connectionDispatcher';

/** Opens n connections in turn and reports which taker got each one. */
async function deal(opts: {
  workers: number;
  localTakesTurns?: boolean;
  keepLocal?: boolean;
  n: number;
}): Promise<string[]> {
  const got: string[] = [];
  const taker =
    (name: string): ConnectionTaker =>
    (socket) => {
      got.push(name);
      socket.destroy();
    };
  const workers = Array.from({ length: opts.workers }, (_, i) => taker(`w${i + 1}`));
  const dispatcher = new ConnectionDispatcher({
    port: 0,
    bind: '127.0.0.1',
    local: taker('local'),
    workers: () => workers,
    keepLocal: () => opts.keepLocal ?? false,
    localTakesTurns: opts.localTakesTurns,
  });
  const port = await dispatcher.listen();
  try {
    for (let i = 0; i < opts.n; i++) {
      const before = got.length;
      await new Promise<void>((resolve, reject) => {
        const s = net.connect(port, '127.0.0.1');
        s.on('error', reject);
        s.on('close', () => resolve());
      });
      assert.equal(got.length, before + 1);
    }
  } finally {
    dispatcher.close();
  }
  return got;
}

test('no worker ready: this process takes every connection', async () => {
  assert.deepEqual(await deal({ workers: 0, n: 3 }), ['local', 'local', 'local']);
  assert.deepEqual(await deal({ workers: 0, localTakesTurns: false, n: 2 }), ['local', 'local']);
});

test('fixed workers: this process takes its turn beside them, round robin', async () => {
  assert.deepEqual(await deal({ workers: 2, n: 6 }), ['local', 'w1', 'w2', 'local', 'w1', 'w2']);
});

test('on-demand workers (localTakesTurns false): while one is ready, every connection goes to a worker', async () => {
  assert.deepEqual(await deal({ workers: 2, localTakesTurns: false, n: 4 }), ['w1', 'w2', 'w1', 'w2']);
  assert.deepEqual(await deal({ workers: 1, localTakesTurns: false, n: 2 }), ['w1', 'w1']);
});

test('a pending TLS-ALPN-01 validation keeps every connection here, workers or not', async () => {
  assert.deepEqual(await deal({ workers: 2, localTakesTurns: false, keepLocal: true, n: 2 }), ['local', 'local']);
});

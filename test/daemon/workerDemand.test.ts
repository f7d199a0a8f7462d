import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type * as net from 'node:net';
import { WorkerDemand } from '../../proxy-core/src/daemon/workerDemand';

// The rule alone, on stand-in sockets (only their 'close' is read); the daemon's own connections
// are in workersOnDemand.test.ts.
const standInSocket = () => new EventEmitter() as unknown as net.Socket;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('worker demand (stand-in sockets): two connections open through a busy sample start a worker', async () => {
  let grown = 0;
  const demand = new WorkerDemand({ grow: () => grown++, connections: 100, busy: 0, sampleMs: 100 });
  try {
    demand.opened(standInSocket());
    demand.opened(standInSocket());
    await sleep(350);
    assert.ok(grown >= 1, `grow was called ${grown} times`);
  } finally {
    demand.close();
  }
});

test('worker demand (stand-in sockets): a connection that opens just before the last one closes (a client reconnecting) starts none', async () => {
  let grown = 0;
  const demand = new WorkerDemand({ grow: () => grown++, connections: 100, busy: 0, sampleMs: 100 });
  try {
    let last = standInSocket();
    demand.opened(last);
    for (let i = 0; i < 3; i++) {
      const next = standInSocket();
      demand.opened(next);
      last.emit('close');
      last = next;
      await sleep(120);
    }
    assert.equal(grown, 0, 'one connection at a time: a worker could not take any of its load');
  } finally {
    demand.close();
  }
});

test('worker demand (stand-in sockets): the connection count alone starts a worker at once', () => {
  let grown = 0;
  const demand = new WorkerDemand({ grow: () => grown++, connections: 3, busy: 1, sampleMs: 60_000 });
  try {
    for (let i = 0; i < 3; i++) demand.opened(standInSocket());
    assert.equal(grown, 1);
  } finally {
    demand.close();
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CAPTURE } from '../../proxy-core/src/capture/types';
import { WsFrameReader } from '../../proxy-core/src/capture/wsFrames';
import { ControlClient } from '../../proxy-core/src/control/controlClient';
import { startEchoBackend } from '../support/backends';
import { startDaemon } from '../support/daemon';
import { wssTo } from '../support/https';
import { until } from '../support/wait';
import { detail, recorded } from './support';

/** Opens a WebSocket through the proxy, sends `messages` one per echo, and closes. */
function conversation(port: number, host: string, ca: string, messages: string[]): Promise<string[]> {
  const ws = wssTo(port, host, ca);
  const got: string[] = [];
  return new Promise((resolve, reject) => {
    ws.on('message', (data) => {
      got.push(String(data));
      const next = messages[got.length - 1];
      if (next !== undefined) ws.send(next);
      else ws.close();
    });
    ws.on('close', () => resolve(got));
    ws.on('error', reject);
  });
}

test('WebSocket connections are recorded with their handshake, message counts each way and the first messages, in the daemon and its worker', async () => {
  const backend = await startEchoBackend('ws');
  const { daemon, ca, stateDir } = await startDaemon({ workers: 1, capture: DEFAULT_CAPTURE });
  const client = new ControlClient(stateDir);
  try {
    await until('the worker', () => daemon.status().https.workers?.ready === 1, 10_000);
    await daemon.routes.expose('ws.localhost', { target: backend.url });
    const long = 'x'.repeat(3000);
    for (let i = 0; i < 2; i++) {
      const got = await conversation(daemon.httpsPort, 'ws.localhost', ca, ['one', 'two', long]);
      assert.equal(got.length, 4);
    }
    const list = await recorded(client, 2);
    assert.equal(new Set(list.map((r) => r.id.split('.')[0])).size, 2, 'one from each process');
    for (const s of list) {
      assert.equal(s.status, 101);
      assert.deepEqual(s.websocket, { messagesIn: 3, messagesOut: 4 });
      const r = await detail(client, s.id);
      assert.equal(r.requestHeaders.upgrade, 'websocket');
      assert.equal(r.responseHeaders!.upgrade, 'websocket');
      const frames = r.websocket!.frames.map((f) => [f.dir, f.opcode, f.data.slice(0, 12), f.truncated]);
      assert.deepEqual(frames, [
        ['out', 'text', `hello ws.loc`, false],
        ['in', 'text', 'one', false],
        ['out', 'text', 'echo:one', false],
        ['in', 'text', 'two', false],
        ['out', 'text', 'echo:two', false],
        ['in', 'text', 'xxxxxxxxxxxx', true],
        ['out', 'text', 'echo:xxxxxxx', true],
      ]);
      assert.equal(r.websocket!.frames[5].size, 3000);
      assert.equal(r.websocket!.frames[5].data.length, 1024);
      assert.ok(r.bytesIn > 3000 && r.bytesOut > 3000);
    }
  } finally {
    await daemon.close();
    await backend.close();
  }
});

test('the frame reader counts messages split across chunks and frames, unmasks client frames, and skips control frames', () => {
  const got: string[] = [];
  const reader = new WsFrameReader(
    (m) => got.push(`${m.opcode}:${m.sample.toString()}:${m.size}`),
    () => 5,
  );
  const mask = Buffer.from([1, 2, 3, 4]);
  const masked = (fin: boolean, opcode: number, payload: string) => {
    const p = Buffer.from(payload);
    const out = Buffer.alloc(p.length);
    for (let i = 0; i < p.length; i++) out[i] = p[i] ^ mask[i & 3];
    return Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | p.length]), mask, out]);
  };
  const stream = Buffer.concat([
    masked(false, 1, 'hel'),
    masked(true, 9, 'ping'),
    masked(true, 0, 'lo world'),
    masked(true, 2, 'ab'),
    masked(true, 8, ''),
  ]);
  // One byte at a time: every header and payload split.
  for (const byte of stream) reader.push(Buffer.from([byte]));
  assert.deepEqual(got, ['text:hello:11', 'binary:ab:2']);
  assert.equal(reader.messages, 2);
});

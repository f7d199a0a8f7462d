import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, type Readable } from 'node:stream';
import { COALESCE_BYTES, coalescedBody } from '../../proxy-core/src/proxy/bodyCoalescer';

/** Every chunk that comes out, as it comes out. */
function collect(out: Readable): Buffer[] {
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  return chunks;
}
const turn = () => new Promise((r) => setImmediate(r));
const bytes = (n: number, fill: number) => Buffer.alloc(n, fill);

test('small chunks written in one turn of the event loop leave as one, byte for byte', async () => {
  const source = new PassThrough();
  const out = coalescedBody(source);
  const chunks = collect(out);
  const parts = [bytes(16384, 1), bytes(16384, 2), bytes(8192, 3)];
  for (const p of parts) source.write(p);
  await turn();
  await turn();
  assert.equal(chunks.length, 1);
  assert.deepEqual(chunks[0], Buffer.concat(parts));
});

test('a chunk of 64 KB or more passes as it is, and held chunks leave as soon as they reach 64 KB', async () => {
  const source = new PassThrough({ highWaterMark: 1 << 20 });
  const out = coalescedBody(source);
  const chunks = collect(out);
  const big = bytes(COALESCE_BYTES, 7);
  source.write(big);
  for (let i = 0; i < 4; i++) source.write(bytes(COALESCE_BYTES / 4, i));
  // Before the turn ends: the big one, then the four merged at once.
  await new Promise<void>((r) => process.nextTick(r));
  await new Promise<void>((r) => queueMicrotask(r));
  assert.equal(chunks.length, 2);
  assert.equal(chunks[0], big, 'the same Buffer: not copied');
  assert.equal(chunks[1].length, COALESCE_BYTES);
});

test('a slow stream is not held back: each chunk leaves in the turn it arrived in', async () => {
  const source = new PassThrough();
  const out = coalescedBody(source);
  const chunks = collect(out);
  for (let i = 0; i < 3; i++) {
    source.write(Buffer.from(`event ${i}\n`));
    await turn();
    await turn();
    assert.equal(chunks.length, i + 1, `chunk ${i} arrived before the next was written`);
  }
  assert.equal(Buffer.concat(chunks).toString(), 'event 0\nevent 1\nevent 2\n');
});

test('the end of the body flushes what is held, then ends', async () => {
  const source = new PassThrough();
  const out = coalescedBody(source);
  const chunks = collect(out);
  const ended = new Promise((r) => out.on('end', r));
  source.write('a');
  source.end('b');
  await ended;
  assert.equal(Buffer.concat(chunks).toString(), 'ab');
});

test('an error of the source (a client that went away) destroys the body with it', async () => {
  const source = new PassThrough();
  const out = coalescedBody(source);
  const failed = new Promise<Error>((r) => out.on('error', r));
  source.write('partial');
  source.destroy(Object.assign(new Error('the client aborted the upload'), { code: 'ECONNRESET' }));
  const err = (await failed) as NodeJS.ErrnoException;
  assert.equal(err.code, 'ECONNRESET');
  assert.ok(out.destroyed);
});

test('backpressure holds: a reader that does not read stops the source being read', async () => {
  const source = new PassThrough({ highWaterMark: 16384 });
  const out = coalescedBody(source);
  let accepted = 0;
  for (let i = 0; i < 200 && source.write(bytes(16384, i)); i++) accepted++;
  for (let i = 0; i < 10; i++) await turn();
  // Nothing reads `out`: what is buffered stays bounded by the streams' high-water marks.
  assert.ok(source.writableLength + out.readableLength < 16 * COALESCE_BYTES);
  assert.ok(accepted < 200, 'the source was told to stop');
});

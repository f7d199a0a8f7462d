import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { setTimeout as sleep } from 'node:timers/promises';
import { heapTrimFile, loadNativeHeapTrim } from '../../proxy-core/src/daemon/nativeHeap';
import { ROOT, tempDir } from '../support/env';

const DIST = path.join(ROOT, 'dist');
const MB = 1048576;

test(
  'the built dist/heapTrim-linux-<arch>.node gives back the memory a transfer’s freed 16 KB buffers left in glibc’s heap',
  { skip: process.platform !== 'linux' && 'Linux only' },
  async () => {
    const loaded = loadNativeHeapTrim(DIST);
    assert.ok(
      'trim' in loaded,
      `scripts/build.mjs builds it on Linux: ${'unavailable' in loaded ? loaded.unavailable : ''}`,
    );
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    gc();
    loaded.trim();
    const start = process.memoryUsage.rss();
    // As a transfer allocates them: 48 MB of 16 KB buffers (below malloc's mmap threshold, so from
    // its heap) with small ones between them that live on and keep free() from returning any.
    let big: Buffer[] | undefined = [];
    const small: Buffer[] = [];
    for (let i = 0; i < 3000; i++) {
      big.push(Buffer.allocUnsafeSlow(16 * 1024).fill(1));
      small.push(Buffer.allocUnsafeSlow(512).fill(2));
    }
    const grown = process.memoryUsage.rss() - start;
    assert.equal(big.length, 3000);
    big = undefined;
    gc();
    await sleep(200); // V8 may free the buffers' memory off the main thread
    const freed = process.memoryUsage.rss();
    const released = loaded.trim();
    const after = process.memoryUsage.rss();
    const report = `grew ${(grown / MB).toFixed(1)} MB, ${((freed - start) / MB).toFixed(1)} MB above the start after the collection, ${((after - start) / MB).toFixed(1)} MB after trim()`;
    assert.equal(released, true, `malloc_trim gave nothing back: ${report}`);
    assert.ok(after - start < grown / 2, report);
    assert.equal(small.length, 3000);
  },
);

test('a missing or foreign heapTrim-linux-<arch>.node is reported, not thrown', () => {
  const dir = tempDir();
  try {
    const missing = loadNativeHeapTrim(dir);
    if (process.platform !== 'linux') return assert.deepEqual(missing, { unavailable: 'only Linux needs it' });
    assert.ok(
      'unavailable' in missing && missing.unavailable.includes(`${heapTrimFile(process.arch)} did not load`),
      JSON.stringify(missing),
    );
    fs.writeFileSync(path.join(dir, heapTrimFile(process.arch)), 'not a shared object');
    const foreign = loadNativeHeapTrim(dir);
    assert.ok(
      'unavailable' in foreign && /did not load: .*(invalid ELF|too short)/.test(foreign.unavailable),
      JSON.stringify(foreign),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

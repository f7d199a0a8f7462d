import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { heapTrimFile } from '../../proxy-core/src/daemon/nativeHeap';
import { ROOT, tempDir } from '../support/env';

// The .vsix is one package for every Linux: the heapTrim that scripts/build.mjs cross-compiles
// for arm64 must load and work there too. There is no arm64 Node here, so a stand-in for
// Node-API (napiStandIn.c, built for arm64) loads it under qemu's user-mode emulation and calls it.
const isCI = process.env.CI === 'true';
const CROSS_CC = '/usr/bin/aarch64-linux-gnu-gcc';
const QEMU = '/usr/bin/qemu-aarch64';
const ARM64_ROOT = '/usr/aarch64-linux-gnu';
const missing = [CROSS_CC, QEMU, path.join(ARM64_ROOT, 'lib', 'ld-linux-aarch64.so.1')].filter(
  (f) => !fs.existsSync(f),
);
/** On another machine the emulation would run the other way round: not written. */
const notHere =
  (process.platform !== 'linux' || process.arch !== 'x64') && 'cross-built and emulated on Linux x64 only';
const why = missing.length
  ? `missing ${missing.join(', ')} (Debian: gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user)`
  : undefined;

const HEADERS = path.join(path.dirname(require.resolve('node-api-headers/package.json')), 'include');
const STAND_IN = path.join(ROOT, 'test', 'native', 'napiStandIn.c');

function runStandIn(cc: string, addon: string, prefix: string[]): string {
  const dir = tempDir();
  try {
    const exe = path.join(dir, 'napiStandIn');
    const built = spawnSync(
      cc,
      ['-O2', '-Wall', '-Wextra', '-Werror', '-rdynamic', '-I', HEADERS, '-o', exe, STAND_IN, '-ldl'],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(built.status, 0, `${cc} napiStandIn.c: ${built.stderr}`);
    const [cmd, ...args] = [...prefix, exe, addon];
    const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, `${[cmd, ...args].join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test(
  'the arm64 dist/heapTrim-linux-arm64.node exports trim() and gives back a fragmented heap (qemu-aarch64, Node-API stand-in)',
  { skip: notHere || (!isCI && why) },
  () => {
    if (why) throw new Error(`cannot run: ${why}`);
    const addon = path.join(ROOT, 'dist', heapTrimFile('arm64'));
    assert.ok(fs.existsSync(addon), `scripts/build.mjs did not build ${addon}`);
    // The stand-in itself, natively against the x64 build that nativeHeap.test.ts loads in Node:
    // it must give the answer Node does.
    const native = runStandIn('cc', path.join(ROOT, 'dist', heapTrimFile('x64')), []);
    assert.equal(native, 'exports trim\ntrim() -> true\n');
    const emulated = runStandIn(CROSS_CC, addon, [QEMU, '-L', ARM64_ROOT]);
    assert.equal(emulated, 'exports trim\ntrim() -> true\n');
  },
);

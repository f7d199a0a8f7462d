import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { toCurl } from '../../proxy-core/src/capture/curl';
import type { CaptureRecord } from '../../proxy-core/src/capture/types';

test('Copy as cURL gives a command a shell reads back as the request: URL, method, headers, body', () => {
  const r: CaptureRecord = {
    id: 'a.1',
    startedAt: '2026-01-01T00:00:00.000Z',
    host: 'api.localhost',
    client: { address: '127.0.0.1' },
    method: 'POST',
    url: "/it's?x=1&y=2",
    httpVersion: '2',
    requestHeaders: {
      host: 'api.localhost:8443',
      'content-type': 'application/json',
      'content-length': '9',
      cookie: ['a=1', 'b=2'],
    },
    status: 200,
    timings: { totalMs: 1 },
    bytesIn: 9,
    bytesOut: 0,
    requestBody: { size: 9, truncated: false, base64: Buffer.from(`{"a":"'"}`).toString('base64') },
    complete: true,
  };
  const cmd = toCurl(r, { port: 8443, caFile: '/state dir/ca/root.pem' });
  // The shell's own reading of the words (printf one per line), not a re-implementation of quoting.
  const words = spawnSync('sh', ['-c', `set -- ${cmd.slice('curl '.length)}; printf '%s\\n' "$@"`], {
    encoding: 'utf8',
  })
    .stdout.trimEnd()
    .split('\n');
  assert.deepEqual(words, [
    '--cacert',
    '/state dir/ca/root.pem',
    '--resolve',
    'api.localhost:8443:127.0.0.1',
    '-X',
    'POST',
    "https://api.localhost:8443/it's?x=1&y=2",
    '-H',
    'content-type: application/json',
    '-H',
    'cookie: a=1',
    '-H',
    'cookie: b=2',
    '--data-binary',
    `{"a":"'"}`,
  ]);
});

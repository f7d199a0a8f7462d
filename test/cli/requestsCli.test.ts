import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_CAPTURE } from '../../proxy-core/src/capture/types';
import { ControlClient } from '../../proxy-core/src/control/controlClient';
import { cliAsync, startDaemon } from '../support/daemon';
import { CLI, tempDir } from '../support/env';
import { until } from '../support/wait';
import { harValidator } from '../capture/harSchema';
import { recorded, send, startScriptedBackend } from '../capture/support';

test('requests lists what went through the proxy as a table, as JSON lines and as HAR, masking credentials unless --show-secrets; replay sends one again; --follow shows new ones live', async () => {
  const backend = await startScriptedBackend((req, _body, res) => {
    res.writeHead(req.url === '/boom' ? 503 : 200, { 'content-type': 'text/plain', 'set-cookie': 'sid=srv' });
    res.end('hi');
  });
  const { daemon, ca, stateDir } = await startDaemon({ workers: 0, capture: DEFAULT_CAPTURE });
  const client = new ControlClient(stateDir);
  const run = (...args: string[]) => cliAsync([...args, '--state-dir', stateDir]);
  try {
    await daemon.routes.expose('app.localhost', { target: backend.url });
    const port = daemon.httpsPort;
    await send({ port, host: 'app.localhost', ca, path: '/hello?x=1', headers: { authorization: 'Bearer s3cr3t' } });
    await send({ port, host: 'app.localhost', ca, method: 'DELETE', path: '/boom', headers: { cookie: 'sid=abc' } });
    const [boom, hello] = await recorded(client, 2);

    const table = await run('requests');
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^ID\s+TIME\s+METHOD\s+CODE\s+HOST\/PATH\s+TIME\s+SIZE$/);
    assert.match(
      lines[1],
      new RegExp(
        `^${hello.id.replace('.', '\\.')}\\s+\\d\\d:\\d\\d:\\d\\d GET\\s+200\\s+app\\.localhost/hello\\?x=1\\s+\\S+ms\\s+2B$`,
      ),
    );
    assert.match(lines[2], /DELETE\s+503\s+app\.localhost\/boom/);
    // Aligned: every column starts where the header's does.
    assert.equal(lines[1].indexOf('app.localhost'), lines[0].indexOf('HOST/PATH'));
    assert.equal(lines[2].indexOf('app.localhost'), lines[0].indexOf('HOST/PATH'));

    const only5xx = await run('requests', 'app.localhost', '--status', '5xx');
    assert.equal(only5xx.stdout.trimEnd().split('\n').length, 2);
    assert.match(only5xx.stdout, /DELETE\s+503/);
    const bad = await run('requests', '--status', 'oops');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /status must be a code \(404\), a class \(5xx\) or err/);

    const json = await run('requests', '--json');
    const records = json.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      records.map((r) => r.id),
      [hello.id, boom.id],
    );
    assert.equal(records[0].requestHeaders.authorization, 'Bearer ••••••');
    assert.equal(records[1].requestHeaders.cookie, 'sid=••••••');
    assert.equal(records[1].responseHeaders['set-cookie'], 'sid=••••••');
    assert.doesNotMatch(json.stdout, /s3cr3t|sid=abc|sid=srv/);
    const open = await run('requests', '--json', '--show-secrets');
    assert.match(open.stdout, /Bearer s3cr3t/);
    assert.match(open.stdout, /sid=abc/);

    const harFile = path.join(tempDir(), 'out.har');
    const har = await run('requests', '--har', harFile);
    assert.equal(har.code, 0, har.stderr);
    assert.match(har.stdout, /wrote 2 requests to .*out\.har \(HAR 1\.2\)/);
    const harText = fs.readFileSync(harFile, 'utf8');
    assert.equal(harValidator()(JSON.parse(harText)), undefined);
    assert.doesNotMatch(harText, /s3cr3t|sid=abc|sid=srv/);
    assert.equal(JSON.parse(harText).log.entries[1].request.url, `https://app.localhost:${port}/boom`);

    const replay = await run('replay', hello.id);
    assert.equal(replay.code, 0, replay.stderr);
    const [newId, status, ...rest] = replay.stdout.trim().split(' ');
    assert.equal(status, '200');
    assert.equal(rest.join(' '), `(replay of ${hello.id})`);
    assert.equal(backend.received.length, 3);
    assert.equal(backend.received[2].headers.authorization, 'Bearer s3cr3t');
    const replayJson = JSON.parse((await run('replay', hello.id, '--json', '--method', 'POST', '--body', 'x')).stdout);
    assert.equal(replayJson.replayOf, hello.id);
    assert.notEqual(replayJson.id, newId);
    assert.deepEqual([backend.received[3].method, backend.received[3].body.toString()], ['POST', 'x']);
    const missing = await run('replay', 'zz.zz');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No recorded request zz\.zz/);

    const follow = spawn(process.execPath, [CLI, 'requests', '--follow', '--limit', '1', '--state-dir', stateDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    follow.stdout.on('data', (d) => (out += d));
    try {
      await until('the follow header', () => out.includes('HOST/PATH'));
      await send({ port, host: 'app.localhost', ca, path: '/live' });
      await until('the live row', () => /GET\s+200\s+app\.localhost\/live/.test(out));
    } finally {
      follow.kill('SIGINT');
    }

    // `requests --follow | head -2`: head has its lines and goes; the next row meets EPIPE.
    const piped = spawn(process.execPath, [CLI, 'requests', '--follow', '--limit', '1', '--state-dir', stateDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let errors = '';
    piped.stderr.on('data', (d) => (errors += d));
    const pipedExit = new Promise<number | null>((resolve) => piped.once('exit', (code) => resolve(code)));
    try {
      await new Promise((resolve) => piped.stdout.once('data', resolve));
      piped.stdout.destroy();
      await send({ port, host: 'app.localhost', ca, path: '/after-head' });
      assert.equal(await pipedExit, 0, errors);
      assert.equal(errors, '', 'no EPIPE stack');
    } finally {
      piped.kill('SIGKILL');
    }
  } finally {
    await daemon.close();
    await backend.close();
  }
});

// `expose` against a daemon older than POST /v1/routes/:host/probe (an upgrade while the old daemon
// still runs): the route was added, so the CLI says so and what to do, in one line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import { controlSocket } from '../../proxy-core/src/paths';
import { cliAsync } from '../support/daemon';
import { tempDir } from '../support/env';

test('expose against an older daemon without the probe endpoint (a stand-in control socket answering as one): a one-line error that the route was added and the daemon needs a restart', async (t) => {
  const stateDir = tempDir();
  const seen: string[] = [];
  // What such a daemon answers: the route and its status as today, ENOTFOUND for what it lacks.
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    req.resume();
    req.on('end', () => {
      if (req.method === 'PUT' && req.url === '/v1/routes/app.localhost')
        return json(200, {
          host: 'app.localhost',
          url: 'https://app.localhost:8443/',
          target: 'http://127.0.0.1:5000',
          tls: 'local',
        });
      if (req.method === 'GET' && req.url === '/v1/status')
        return json(200, {
          version: '0.0.9',
          https: { bind: '127.0.0.1', port: 8443 },
          ca: { certFile: `${stateDir}/ca/root.pem` },
          acme: {},
        });
      json(404, { error: { code: 'ENOTFOUND', message: `${req.method} ${req.url} is not part of the control API` } });
    });
  });
  const socket = controlSocket(stateDir).path;
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  t.after(() => {
    server.close();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  const r = await cliAsync(['expose', 'app.localhost', '5000', '--state-dir', stateDir]);
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(
    lines[0],
    /^container-https: https:\/\/app\.localhost:8443\/ -> http:\/\/127\.0\.0\.1:5000 was added, but the daemon running \(0\.0\.9\) is older than this command \([^)]+\) and cannot check that it answers: restart container-https serve/,
  );
  assert.ok(seen.includes('POST /v1/routes/app.localhost/probe'), seen.join(', '));
});

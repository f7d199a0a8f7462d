import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { DaemonStatus } from '../../proxy-core/src/control/apiTypes';
import { ControlClient } from '../../proxy-core/src/control/controlClient';
import { freePort } from '../acme/pebble';
import { CLI, tempDir } from '../support/env';

/** A TLS handshake with the HTTPS port: resolves true once it completes, false when nothing accepts yet. */
function handshake(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tls.connect(
      { host: '127.0.0.1', port, servername: 'probe.localhost', rejectUnauthorized: false },
      () => {
        socket.destroy();
        resolve(true);
      },
    );
    socket.on('error', () => resolve(false));
  });
}

/**
 * Issue 11 item 8c: the control socket opens before the HTTPS port (docs/architecture.md). A
 * Docker engine that accepts and never answers holds the start for its 5 s request timeout,
 * which used to leave the HTTPS port answering with no control socket for that long.
 */
test('the first moment the HTTPS port answers, the control socket answers too', async () => {
  const dir = tempDir();
  const silentEngine = net.createServer(() => undefined);
  const engineSocket = path.join(dir, 'silent-docker.sock');
  await new Promise<void>((r) => silentEngine.listen(engineSocket, r));
  try {
    for (let round = 0; round < 3; round++) {
      const stateDir = tempDir();
      const port = await freePort();
      let output = '';
      const child = spawn(
        process.execPath,
        [
          CLI,
          'serve',
          '--state-dir',
          stateDir,
          '--https-port',
          String(port),
          '--http-port',
          '0',
          '--workers',
          '0',
          '--docker-host',
          `unix://${engineSocket}`,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      const exited = new Promise((r) => child.once('exit', r));
      try {
        const deadline = Date.now() + 20_000;
        while (!(await handshake(port))) {
          assert.equal(child.exitCode, null, `serve exited: ${output}`);
          assert.ok(Date.now() < deadline, `the HTTPS port never answered: ${output}`);
          await new Promise((r) => setTimeout(r, 2));
        }
        // Waits for the start to finish (the silent engine's timeout), but must never be refused.
        const status = await new ControlClient(stateDir).request<DaemonStatus>('GET', '/v1/status', undefined, 15_000);
        assert.equal(status.https.port, port);
        assert.equal(status.pid, child.pid);
      } finally {
        child.kill('SIGTERM');
        await exited;
      }
    }
  } finally {
    silentEngine.close();
  }
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ControlClient } from '../../proxy-core/src/control/controlClient';
import { spawnServe } from '../support/daemon';

// The editor starts the shared daemon with --exit-when-idle unless keepRunning is on: it must
// stay while any window listens to its events, and stop once the last one has gone.
test('serve --exit-when-idle stays while an editor listens and stops after the last one leaves', async () => {
  const d = await spawnServe(['--https-port', '0', '--http-port', '0', '--no-docker', '--exit-when-idle', '1']);
  try {
    const client = new ControlClient(d.stateDir);
    const events: string[] = [];
    const stop = client.subscribe((e) => events.push(e));
    // Three idle periods with a listener attached: still serving.
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(d.child.exitCode, null, 'the daemon stopped although a window was listening');
    assert.ok(events.includes('status'));
    const exited = new Promise<number | null>((r) => d.child.once('exit', (code) => r(code)));
    stop();
    assert.equal(await exited, 0);
    assert.match(d.output(), /no editor window has used the proxy for 1 s: stopping/);
    assert.equal(await client.isRunning(), false);
  } finally {
    await d.stop();
  }
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { serviceMissing } from '../support/env';
import { namespaces } from '../support/netns';

/**
 * The suites that talk to a real engine, again against a real rootful `podman system service`
 * (test/services/podman.mjs): discovery and events (watcher), container targets (routing),
 * labels, automatic names (also through published ports, and for scaled docker-compose replicas),
 * losing the engine (reconnect), and podman-compose projects. They run in a child test process
 * inside the service's network namespace, where the containers' IPs are reachable, with
 * DOCKER_HOST on its socket: the daemons they start find the engine the way a user's would.
 */
const SUITES = [
  'watcher',
  'routing',
  'labels',
  'autoDomainsEngine',
  'addressMode',
  'reconnect',
  'composeScale',
  'podmanCompose',
];

const skip =
  serviceMissing('podman') ?? (process.env.CHS_TEST_PODMAN_HOST ? undefined : 'the podman service is not set up');

describe('the engine suites against a real Podman (podman system service)', { skip }, () => {
  for (const suite of SUITES) {
    it(`${suite}.test on Podman`, async (t) => {
      const file = path.join(__dirname, `${suite}.test.js`);
      // NODE_TEST_CONTEXT would make the child report to this runner instead of running on its own.
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        DOCKER_HOST: process.env.CHS_TEST_PODMAN_HOST,
        CHS_TEST_ENGINE: 'podman',
      };
      delete env.NODE_TEST_CONTEXT;
      const [nsenter, ...inNs] = namespaces.inNamespace(process.env.CHS_TEST_PODMAN_NETNS!);
      const child = spawn(nsenter, [...inNs, process.execPath, '--test', '--test-reporter=spec', file], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout!.on('data', (d) => (out += d));
      child.stderr!.on('data', (d) => (out += d));
      const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      for (const line of out.split('\n').filter((l) => /^\s*(✔|✖|﹣|ℹ (tests|pass|fail|skipped))/.test(l)))
        t.diagnostic(line.trim());
      assert.equal(code, 0, `${suite}.test failed on Podman:\n${out.slice(-6000)}`);
      assert.doesNotMatch(out, /ℹ skipped [1-9]/, `${suite}.test skipped tests on Podman:\n${out.slice(-3000)}`);
      assert.match(out, /ℹ pass [1-9]/, `${suite}.test ran no test on Podman:\n${out.slice(-3000)}`);
    });
  }
});

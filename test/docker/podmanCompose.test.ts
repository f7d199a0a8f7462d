import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Daemon } from '../../proxy-core/src/daemon/daemon';
import { startDaemon } from '../support/daemon';
import { tempDir } from '../support/env';
import { httpsGet } from '../support/https';
import { until } from '../support/wait';
import { ENGINE_KIND, IMAGE, Scratch, engine } from './engine';

/**
 * podman-compose (which drives the podman CLI, not the API) against the real Podman service:
 * its containers carry Docker Compose's project and service labels, so they get the same
 * automatic names. Run by test/docker/podman.test.ts inside the service's network namespace.
 */
const skip =
  ENGINE_KIND !== 'podman'
    ? 'runs against Podman only (test/docker/podman.test.ts runs it there)'
    : !process.env.CHS_TEST_PODMAN_DIR
      ? 'CHS_TEST_PODMAN_DIR is not set (test/services/podman.mjs sets it)'
      : undefined;

const COMPOSE = `services:
  web:
    image: ${IMAGE}
  api:
    image: ${IMAGE}
    command: ["/bin/sh", "-c", "mkdir -p /w9 && echo nine > /w9/index.html && httpd -p 9000 -h /w9 && exec httpd -f -p 8000 -h /www"]
    expose: ["9000"]
`;

describe('podman-compose projects get automatic names (real Podman, TLS verified against our CA)', { skip }, () => {
  const project = new Scratch().prefix;
  const dir = tempDir('chs-pcompose-');
  let daemon: Daemon;
  let ca: string;
  // The podman CLI (which podman-compose runs) on the service's storage and config.
  const env = () => ({
    ...process.env,
    CONTAINERS_CONF: path.join(process.env.CHS_TEST_PODMAN_DIR ?? '', 'containers.conf'),
    CONTAINERS_STORAGE_CONF: path.join(process.env.CHS_TEST_PODMAN_DIR ?? '', 'storage.conf'),
  });
  const podmanCompose = (args: string[]) => {
    const r = spawnSync('podman-compose', ['-p', project, ...args], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 120_000,
      env: env(),
    });
    assert.equal(r.status, 0, `podman-compose ${args.join(' ')}: ${r.stdout}\n${r.stderr}`);
  };
  const served = (host: string) =>
    until(`${host} answers over HTTPS`, async () => {
      const r = await httpsGet({ host, port: daemon.httpsPort, ca });
      return r.status === 200 ? r : undefined;
    });

  before(async () => {
    fs.writeFileSync(path.join(dir, 'compose.yaml'), COMPOSE);
    ({ daemon, ca } = await startDaemon({ docker: { labels: true }, autoDomains: 'compose' }));
    assert.equal(daemon.status().docker.connected, true, daemon.status().docker.error);
  });
  after(async () => {
    await daemon?.close();
    spawnSync('podman-compose', ['-p', project, 'down', '-t', '0'], { cwd: dir, stdio: 'ignore', env: env() });
    // podman-compose 1.0 leaves the project network behind.
    await engine()
      .getNetwork(`${project}_default`)
      .remove()
      .catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('up: each service answers at <service>.<project>.localhost, a second HTTP port at P.<service>…; down removes them', async () => {
    podmanCompose(['up', '-d']);
    const web = await served(`web.${project}.localhost`);
    assert.match(web.body, /hello/);
    assert.match((await served(`api.${project}.localhost`)).body, /hello/);
    assert.match((await served(`9000.api.${project}.localhost`)).body, /nine/);
    const api = daemon
      .docker!.containers()
      .containers.find((c) => c.compose?.service === 'api' && c.compose.project === project)!;
    assert.deepEqual(api.autoDomain, {
      host: `api.${project}.localhost`,
      port: 8000,
      portFrom: 'probe',
      others: [{ host: `9000.api.${project}.localhost`, port: 9000 }],
    });
    assert.equal(api.networks[0]?.name, `${project}_default`, 'on the project network podman-compose made');
    // busybox httpd as PID 1 ignores SIGTERM: stop at once instead of after 10 s.
    podmanCompose(['down', '-t', '0']);
    await until('the automatic names are gone', () =>
      daemon.routes.view().routes.every((r) => !r.host.endsWith(`.${project}.localhost`)),
    );
  });
});

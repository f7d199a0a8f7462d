import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Daemon } from '../../proxy-core/src/daemon/daemon';
import { startDaemon } from '../support/daemon';
import { serviceMissing, tempDir } from '../support/env';
import { httpsGet } from '../support/https';
import { until } from '../support/wait';
import { IMAGE, Scratch } from './engine';

const skip =
  serviceMissing('docker') ??
  (spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0
    ? undefined
    : 'docker-compose is not installed (test/services/packages.mjs)');

/** Each replica answers with its own hostname (its container id), so the round robin shows. */
const COMPOSE = `version: "3"
services:
  web:
    image: ${IMAGE}
    command: ["/bin/sh", "-c", "hostname > /www/index.html && exec httpd -f -p 8000 -h /www"]
`;

describe('docker-compose up --scale: replicas share one automatic name (real engine, TLS verified)', { skip }, () => {
  const project = new Scratch().prefix;
  const dir = tempDir('chs-scale-');
  let daemon: Daemon;
  let ca: string;
  const compose = (args: string[]) => {
    const r = spawnSync('docker-compose', ['-p', project, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, `docker-compose ${args.join(' ')}: ${r.stdout}\n${r.stderr}`);
  };
  const host = `web.${project}.localhost`;
  const get = () => httpsGet({ host, port: daemon.httpsPort, ca });

  before(async () => {
    fs.writeFileSync(path.join(dir, 'docker-compose.yml'), COMPOSE);
    ({ daemon, ca } = await startDaemon({ docker: { labels: true }, autoDomains: 'compose' }));
    assert.equal(daemon.status().docker.connected, true, daemon.status().docker.error);
  });
  after(async () => {
    await daemon?.close();
    spawnSync('docker-compose', ['-p', project, 'down', '-t', '0'], { cwd: dir, stdio: 'ignore' });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('--scale web=3: web.<project>.localhost goes round robin to all three; scaling down keeps it on the rest', async () => {
    compose(['up', '-d', '--scale', 'web=3']);
    const route = await until('one route with three servers', () =>
      daemon.routes.view().routes.find((r) => r.host === host && r.servers?.length === 3),
    );
    assert.equal(route.source, 'auto');
    const replicas = daemon.docker!.containers().containers.filter((c) => c.compose?.project === project);
    assert.equal(replicas.length, 3);
    for (const c of replicas) assert.equal(c.autoDomain?.host, host, `${c.name} shows the shared name`);
    assert.deepEqual(
      replicas.flatMap((c) => c.problems ?? []),
      [],
      'replicas are not reported as claiming one name twice',
    );
    const answered = new Set<string>();
    await until('every replica answered', async () => {
      const r = await get();
      if (r.status === 200) answered.add(r.body.trim());
      return answered.size === 3;
    });
    assert.deepEqual(
      [...answered].sort(),
      replicas.map((c) => c.id.slice(0, 12)).sort(),
      'each replica answered with its own hostname',
    );
    compose(['up', '-d', '-t', '0', '--scale', 'web=1']);
    await until('one server left', () =>
      daemon.routes.view().routes.find((r) => r.host === host && (r.servers?.length ?? 1) === 1),
    );
    assert.equal((await get()).status, 200);
  });
});

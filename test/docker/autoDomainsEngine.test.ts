import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import type { ContainerInfo } from '../../proxy-core/src/control/apiTypes';
import type { Daemon } from '../../proxy-core/src/daemon/daemon';
import { cli, cliAsync, spawnServe, startDaemon } from '../support/daemon';
import { serviceMissing, tempDir } from '../support/env';
import { httpsGet } from '../support/https';
import { until } from '../support/wait';
import { Scratch } from './engine';

const skip = serviceMissing('docker');

/** Three TCP ports: 8000 answers "garbage", 9000 is busybox httpd (the index says hello), 9100 an httpd saying "ninety-one". */
const GARBAGE_HTTP_HTTP = [
  '/bin/sh',
  '-c',
  'mkdir -p /w91 && echo ninety-one > /w91/index.html && httpd -p 9100 -h /w91 && nc -ll -p 8000 -e echo garbage & exec httpd -f -p 9000 -h /www',
];
/** Two TCP ports, neither HTTP: 8000 answers "garbage", 9000 closes every connection at once. */
const NO_HTTP = ['/bin/sh', '-c', 'nc -ll -p 9000 -e true & exec nc -ll -p 8000 -e echo garbage'];
/** busybox httpd answering on 8000 and 9000 with different bodies. */
const TWO_PORTS = [
  '/bin/sh',
  '-c',
  'mkdir -p /w9 && echo nine > /w9/index.html && httpd -p 9000 -h /w9 && exec httpd -f -p 8000 -h /www',
];

const compose = (project: string, service: string, extra: Record<string, string> = {}) => ({
  'com.docker.compose.project': project,
  'com.docker.compose.service': service,
  ...extra,
});

describe('automatic container names (real engine, TLS verified against our CA)', { skip }, () => {
  const scratch = new Scratch();
  let daemon: Daemon;
  let ca: string;
  let port: number;
  const get = (host: string) => httpsGet({ host, port, ca });
  const route = (host: string) => daemon.routes.view().routes.find((r) => r.host === host);
  const info = (suffix: string): ContainerInfo | undefined =>
    daemon.docker?.containers().containers.find((c) => c.name === scratch.name(suffix));
  /** Waits until `host` answers 200 over verified HTTPS, and returns the answer. */
  const served = (host: string) =>
    until(`${host} answers over HTTPS`, async () => {
      const r = await get(host);
      return r.status === 200 ? r : undefined;
    });
  const project = scratch.prefix;

  before(async () => {
    ({ daemon, ca } = await startDaemon({ docker: { labels: true }, autoDomains: 'compose' }));
    port = daemon.httpsPort;
    assert.equal(daemon.status().docker.connected, true, daemon.status().docker.error);
    assert.equal(daemon.status().docker.autoDomains, 'compose');
  });
  after(async () => {
    await daemon?.close();
    await scratch.remove();
  });

  it('a compose container gets https://<service>.<project>.localhost; a plain one does not (compose mode)', async (t) => {
    const host = `web.${project}.localhost`;
    const c = await scratch.container('web', { labels: compose(project, 'web'), start: false });
    await scratch.container('plain');
    const t0 = performance.now();
    await c.start();
    const res = await served(host);
    const ms = performance.now() - t0;
    assert.match(res.body, /hello/);
    assert.match(res.peerCertificate?.subjectaltname ?? '', new RegExp(`DNS:web\\.${project}\\.localhost`));
    const r = route(host)!;
    assert.equal(r.source, 'auto');
    assert.equal(r.target, `container:${scratch.name('web')}:8000`);
    assert.equal(r.container, scratch.name('web'));
    assert.deepEqual(info('web')!.autoDomain, { host, port: 8000, portFrom: 'only' });
    t.diagnostic(`docker start -> first HTTPS 200 at ${host}: ${ms.toFixed(0)} ms (measurement, not asserted)`);
    // The certificate reconciler issues it when the route appears (a request before that gets the on-demand one).
    const cert = await until('the stored certificate', () => daemon.certs.store.get(host));
    assert.equal(cert.meta.issuer, 'local');
    assert.equal(info('plain')!.autoDomain, undefined, 'compose mode leaves plain containers alone');
    assert.equal(
      daemon.routes.view().routes.some((x) => x.container === scratch.name('plain')),
      false,
    );
    // Stopped: the name goes (only running containers are named).
    await c.stop({ t: 0 });
    await until('the automatic name goes when the container stops', () => !route(host));
    assert.match(info('web')!.autoDomain!.reason!, /while the container is exited/);
  });

  it('the label container-https.enable=false opts a container out', async () => {
    await scratch.container('optout', { labels: compose(project, 'optout', { 'container-https.enable': 'false' }) });
    const d = await until('the opt-out is reported', () => info('optout')?.autoDomain);
    assert.match(d.reason!, /container-https\.enable=false/);
    assert.equal(d.host, undefined);
    assert.equal(route(`optout.${project}.localhost`), undefined);
    assert.equal((await get(`optout.${project}.localhost`)).status, 404);
  });

  it('a label router for the same host wins over the automatic name', async () => {
    const host = `api.${project}.localhost`;
    await scratch.container('api', { labels: compose(project, 'api') });
    await served(host);
    assert.equal(route(host)!.source, 'auto');
    // Another container's Traefik router takes the host: the whole host is the router's.
    await scratch.container('router', {
      cmd: TWO_PORTS,
      ports: [8000, 9000],
      labels: {
        'traefik.enable': 'true',
        [`traefik.http.routers.r${project}.rule`]: `Host(\`${host}\`)`,
        [`traefik.http.services.r${project}.loadbalancer.server.port`]: '9000',
      },
    });
    await until('the label router serves the host', async () => (await get(host)).body.trim() === 'nine');
    assert.equal(route(host)!.source, 'label');
    const d = await until('the automatic name says who has the host', () =>
      info('api')?.autoDomain?.reason?.includes('served by') ? info('api')!.autoDomain : undefined,
    );
    assert.equal(d.host, undefined);
    assert.match(d.reason!, new RegExp(`${host.replace(/\./g, '\\.')} is served by router r${project}@docker`));
    // An explicit route wins too (it ranks first), and the automatic name comes back once the router goes.
    await scratch.docker.getContainer(scratch.name('router')).remove({ force: true });
    await until(
      'the automatic name is back',
      async () => route(host)?.source === 'auto' && (await get(host)).status === 200,
    );
    await daemon.routes.expose(host, { target: `container:${scratch.name('plain')}` });
    assert.equal(route(host)!.source, 'user', 'a user route for the host hides the automatic one');
    await daemon.routes.unexpose(host);
    await until('automatic again', () => route(host)?.source === 'auto');
  });

  it('two containers for one name: the older keeps it, the other is reported', async () => {
    const host = `twin.${project}.localhost`;
    await scratch.container('twin-a', { labels: compose(project, 'twin') });
    await served(host);
    // The second one is created later, so it is the younger.
    await new Promise((r) => setTimeout(r, 1100));
    await scratch.container('twin-b', { labels: compose(project, 'twin') });
    const problems = await until('the younger is reported', () => info('twin-b')?.problems);
    assert.match(
      problems.join('\n'),
      new RegExp(`${host.replace(/\./g, '\\.')} is already the automatic name of container ${scratch.name('twin-a')}`),
    );
    assert.equal(route(host)!.container, scratch.name('twin-a'));
    assert.equal(info('twin-a')!.autoDomain!.host, host);
    assert.equal(info('twin-b')!.autoDomain!.host, undefined);
    assert.equal(info('twin-a')!.problems, undefined);
  });

  it('several ports: the name goes to the port that speaks HTTP, every other HTTP port gets P.<name>', async () => {
    const host = `multi.${project}.localhost`;
    await scratch.container('multi', {
      cmd: GARBAGE_HTTP_HTTP,
      ports: [8000, 9000, 9100],
      labels: compose(project, 'multi'),
    });
    // httpd on 9100 may listen before the one on 9000: 9100 then has the name until 9000 answers
    // HTTP and the name moves to it (docs/docker.md, "Which port"), so wait for that.
    await until('the name goes to 9000', () => route(host)?.target === `container:${scratch.name('multi')}:9000`);
    const res = await served(host);
    assert.match(res.body, /hello/, 'port 9000 (8000 answers garbage)');
    const other = await served(`9100.${host}`);
    assert.equal(other.body.trim(), 'ninety-one');
    assert.equal((await get(`8000.${host}`)).status, 404, 'the garbage port gets no name');
    const d = info('multi')!.autoDomain!;
    assert.equal(d.host, host);
    assert.equal(d.port, 9000);
    assert.equal(d.portFrom, 'probe');
    assert.deepEqual(d.others, [{ host: `9100.${host}`, port: 9100 }]);
    assert.match(d.reason!, /Not HTTP, so not named: 8000 answered "garbage\\n", not HTTP/);
  });

  it('a container whose ports answer no HTTP gets no name, and says why', async () => {
    await scratch.container('nohttp', { cmd: NO_HTTP, ports: [8000, 9000], labels: compose(project, 'nohttp') });
    // 9000 may be a server still starting, so it is asked again for a while ("yet"): the reason is
    // there at once. Until nc listens (later on a busy machine, or on Podman) both ports refuse.
    const d = await until('the probes have answered', () => {
      const a = info('nohttp')?.autoDomain;
      return a?.reason?.includes('answers HTTP') && !a.reason.includes('refused the connection') ? a : undefined;
    });
    assert.equal(d.host, undefined);
    assert.match(
      d.reason!,
      /no port answers HTTP \(8000 answered "garbage\\n", not HTTP; 9000 closed the connection without answering/,
    );
    assert.match(d.reason!, /container-https\.port=PORT/);
    assert.equal(route(`nohttp.${project}.localhost`), undefined);
  });
});

describe('automatic names with --auto-domains all, and through published ports', { skip }, () => {
  const scratch = new Scratch();
  let daemon: Daemon;
  let ca: string;

  after(async () => {
    await daemon?.close();
    await scratch.remove();
  });

  it('all: a plain container gets https://<name>.localhost', async () => {
    ({ daemon, ca } = await startDaemon({ docker: { labels: true }, autoDomains: 'all' }));
    await scratch.container('plain-box');
    const host = `${scratch.name('plain-box')}.localhost`;
    const res = await until('the plain container answers', async () => {
      const r = await httpsGet({ host, port: daemon.httpsPort, ca });
      return r.status === 200 ? r : undefined;
    });
    assert.match(res.body, /hello/);
    assert.equal(daemon.routes.view().routes.find((r) => r.host === host)!.source, 'auto');
    await daemon.close();
  });

  it('published: ports are probed at the published address the resolver uses', async () => {
    ({ daemon, ca } = await startDaemon({ docker: { labels: true, address: 'published' }, autoDomains: 'compose' }));
    const host = `pub.${scratch.prefix}.localhost`;
    await scratch.container('pub', {
      cmd: GARBAGE_HTTP_HTTP,
      publish: [8000, 9000],
      labels: compose(scratch.prefix, 'pub'),
    });
    const res = await until('served through the published port', async () => {
      const r = await httpsGet({ host, port: daemon.httpsPort, ca });
      return r.status === 200 ? r : undefined;
    });
    assert.match(res.body, /hello/);
    // The first answers may come before the certificate is stored (the on-demand one serves them).
    const view = await until('the route is ready', () =>
      daemon.routes.view().routes.find((r) => r.host === host && r.status === 'ready'),
    );
    assert.equal(view.target, `container:${scratch.name('pub')}:9000`);
    assert.match(view.upstream!, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(view.detail!, /published port 127\.0\.0\.1:\d+ \(container port 9000\)/);
  });
});

describe('serve --auto-domains (the CLI)', { skip }, () => {
  const scratch = new Scratch();
  const stops: Array<() => Promise<void>> = [];
  after(async () => {
    for (const stop of stops.reverse()) await stop();
    await scratch.remove();
  });

  it('--auto-domains must be off, compose or all', () => {
    const r = cli(['serve', '--state-dir', tempDir(), '--https-port', '0', '--auto-domains', 'some']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--auto-domains must be off, compose or all, not "some"\./);
  });

  it('compose is the default, and routes lists automatic names as auto:CONTAINER', async () => {
    const serve = await spawnServe(['--https-port', '0', '--no-http']);
    stops.push(serve.stop);
    assert.equal(serve.status.docker.autoDomains, 'compose');
    await scratch.container('cli', { labels: compose(scratch.prefix, 'cli') });
    const host = `cli.${scratch.prefix}.localhost`;
    const line = await until('the automatic route in `routes`', async () => {
      const r = await cliAsync(['routes', '--state-dir', serve.stateDir]);
      return r.stdout.split('\n').find((l) => l.includes(host));
    });
    assert.match(line, new RegExp(`container:${scratch.name('cli')}:8000 +local +auto:${scratch.name('cli')} `));
    const off = await spawnServe(['--https-port', '0', '--no-http', '--auto-domains', 'off']);
    stops.push(off.stop);
    assert.equal(off.status.docker.autoDomains, 'off');
    const routes = await cliAsync(['routes', '--state-dir', off.stateDir, '--json']);
    assert.equal(
      (JSON.parse(routes.stdout) as { routes: Array<{ host: string }> }).routes.some((r) => r.host === host),
      false,
    );
  });
});

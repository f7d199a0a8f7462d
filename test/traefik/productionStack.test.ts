// A production stack's Traefik labels served locally, unchanged: real containers on the real
// engine, every request over HTTPS verified against our CA. Web and api under one host split by
// PathPrefix with stripprefix, an admin router behind basicAuth with a middleware declared on
// another container, redirectregex, headers from the file provider (@file), a scaled service.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DaemonStatus } from '../../proxy-core/src/control/apiTypes';
import { ControlClient } from '../../proxy-core/src/control/controlClient';
import type { Daemon } from '../../proxy-core/src/daemon/daemon';
import { Scratch } from '../docker/engine';
import { startDaemon } from '../support/daemon';
import { serviceMissing, tempDir } from '../support/env';
import { FetchResult, httpsGet } from '../support/https';
import { until } from '../support/wait';

const skip = serviceMissing('docker');

/** busybox httpd on 8000 whose /cgi-bin/env prints its name, the request URI and the HTTP_* headers it got. */
function app(name: string): string[] {
  const script = [
    '#!/bin/sh',
    // CRLF: the proxy's HTTP client refuses bare-LF header lines, which busybox passes through from CGI.
    'printf "Content-Type: text/plain\\\\r\\\\n\\\\r\\\\n"',
    `echo name=${name}`,
    'echo uri=$REQUEST_URI',
    'env | grep ^HTTP_ | sort',
  ].join('\\n');
  return [
    '/bin/sh',
    '-c',
    `mkdir -p /w/cgi-bin /w/admin && echo ${name} > /w/index.html && echo ${name} > /w/admin/index.html && printf '${script}\\n' > /w/cgi-bin/env && chmod +x /w/cgi-bin/env && exec httpd -f -p 8000 -h /w`,
  ];
}

/** What the app's /cgi-bin/env printed. */
function echoed(res: FetchResult): { name: string; uri: string; headers: Record<string, string> } {
  const lines = res.body.trim().split('\n');
  const value = (k: string) => lines.find((l) => l.startsWith(`${k}=`))?.slice(k.length + 1) ?? '';
  const headers: Record<string, string> = {};
  for (const l of lines.filter((x) => x.startsWith('HTTP_'))) {
    const eq = l.indexOf('=');
    headers[l.slice(5, eq).toLowerCase().replace(/_/g, '-')] = l.slice(eq + 1);
  }
  return { name: value('name'), uri: value('uri'), headers };
}

// admin:s3cret, bcrypt cost 4 (a label holds the hash with single $; compose files double them).
const ADMIN = 'admin:$2b$04$ylAkyQrjfogh.XbIAojyxO7YpNe7m0GZBi5Qiy.OONOLldrP7xc6W';

describe(
  'a production stack of Traefik labels, served locally (real engine, TLS verified against our CA)',
  { skip },
  () => {
    const scratch = new Scratch();
    let daemon: Daemon;
    let ca: string;
    let dynamicDir: string;
    const host = `shop-${scratch.prefix}.localhost`;
    const id = scratch.prefix;
    const get = (p: string, headers?: Record<string, string>, h = host) =>
      httpsGet({ host: h, port: daemon.httpsPort, ca, path: p, headers });

    const writeDynamic = (text: string) => fs.writeFileSync(path.join(dynamicDir, 'dynamic.yml'), text);
    const dynamic = (frame: string) => `http:
  middlewares:
    secure-${id}:
      headers:
        customResponseHeaders:
          X-Frame-Options: ${frame}
        customRequestHeaders:
          X-From-File: "yes"
  routers:
    files-${id}:
      rule: Host(\`files-${id}.localhost\`)
      service: web-${id}@docker
`;

    before(async () => {
      dynamicDir = tempDir('chs-dynamic-');
      writeDynamic(dynamic('DENY'));
      ({ daemon, ca } = await startDaemon({ docker: { labels: true }, traefikDynamic: dynamicDir }));
      // Router, service and middleware names carry the test's prefix: every daemon on this engine sees every container.
      await scratch.container('web', {
        cmd: app('web'),
        labels: {
          'traefik.enable': 'true',
          [`traefik.http.routers.web-${id}.rule`]: `Host(\`${host}\`)`,
          [`traefik.http.routers.web-${id}.entrypoints`]: 'websecure',
          [`traefik.http.routers.web-${id}.tls.certresolver`]: 'letsencrypt',
          [`traefik.http.routers.web-${id}.middlewares`]: `old-${id},secure-${id}@file`,
          [`traefik.http.services.web-${id}.loadbalancer.server.port`]: '8000',
          [`traefik.http.middlewares.old-${id}.redirectregex.regex`]: '^https://([^/]+)/old/(.*)',
          [`traefik.http.middlewares.old-${id}.redirectregex.replacement`]: 'https://${1}/new/${2}',
          [`traefik.http.middlewares.auth-${id}.basicauth.users`]: ADMIN,
        },
      });
      await scratch.container('api', {
        cmd: app('api'),
        labels: {
          'traefik.enable': 'true',
          [`traefik.http.routers.api-${id}.rule`]: `Host(\`${host}\`) && PathPrefix(\`/api\`)`,
          [`traefik.http.routers.api-${id}.middlewares`]: `strip-${id}`,
          [`traefik.http.middlewares.strip-${id}.stripprefix.prefixes`]: '/api',
          [`traefik.http.services.api-${id}.loadbalancer.server.port`]: '8000',
        },
      });
      await scratch.container('admin', {
        cmd: app('admin'),
        labels: {
          'traefik.enable': 'true',
          [`traefik.http.routers.admin-${id}.rule`]: `Host(\`${host}\`) && PathPrefix(\`/admin\`)`,
          // Declared on the web container: the Docker provider shares middlewares across containers.
          [`traefik.http.routers.admin-${id}.middlewares`]: `auth-${id}@docker`,
        },
      });
      for (const replica of ['rep1', 'rep2'])
        await scratch.container(replica, {
          cmd: app(replica),
          labels: {
            'traefik.enable': 'true',
            [`traefik.http.routers.scaled-${id}.rule`]: `Host(\`scaled-${id}.localhost\`)`,
            [`traefik.http.services.scaled-${id}.loadbalancer.server.port`]: '8000',
          },
        });
      await until(
        'every router is routed, the scaled one with both replicas',
        () =>
          [host, `files-${id}.localhost`].every((h) => daemon.table.get(h)) &&
          daemon.table.get(`scaled-${id}.localhost`)?.servers?.length === 2,
      );
    });
    after(async () => {
      await daemon?.close();
      await scratch.remove();
      fs.rmSync(dynamicDir, { recursive: true, force: true });
    });

    it('web and api share one host, split by PathPrefix; stripprefix hands the api /x for /api/x', async () => {
      const web = await until('web answers', async () => {
        const r = await get('/cgi-bin/env');
        return r.status === 200 ? r : undefined;
      });
      assert.equal(echoed(web).name, 'web');
      const api = await get('/api/cgi-bin/env?q=1');
      assert.equal(api.status, 200, api.body);
      assert.equal(echoed(api).name, 'api');
      assert.equal(echoed(api).uri, '/cgi-bin/env?q=1');
      assert.equal(echoed(api).headers['x-forwarded-prefix'], '/api');
    });

    it('the admin router asks for basic auth (bcrypt), with a middleware declared on another container', async () => {
      const denied = await get('/admin/');
      assert.equal(denied.status, 401);
      assert.equal(denied.headers['www-authenticate'], 'Basic realm="traefik"');
      const wrong = await get('/admin/', {
        authorization: `Basic ${Buffer.from('admin:nope').toString('base64')}`,
      });
      assert.equal(wrong.status, 401);
      const ok = await get('/admin/', {
        authorization: `Basic ${Buffer.from('admin:s3cret').toString('base64')}`,
      });
      assert.equal(ok.status, 200, ok.body);
      assert.equal(ok.body.trim(), 'admin', 'the admin container at its own /admin/ (no stripprefix on this router)');
    });

    it('redirectregex answers before the backend; headers come from the file provider (@file)', async () => {
      const moved = await get('/old/page?x=1');
      assert.equal(moved.status, 302);
      assert.equal(moved.headers.location, `https://${host}:${daemon.httpsPort}/new/page?x=1`);
      const web = await get('/cgi-bin/env');
      assert.equal(web.headers['x-frame-options'], 'DENY');
      assert.equal(echoed(web).headers['x-from-file'], 'yes');
    });

    it('a file-provider router serves a label service (cross-provider @docker)', async () => {
      const r = await get('/cgi-bin/env', undefined, `files-${id}.localhost`);
      assert.equal(r.status, 200, r.body);
      assert.equal(echoed(r).name, 'web');
    });

    it('a scaled service (two containers, one service name) load-balances round robin, skipping a stopped one', async () => {
      const h = `scaled-${id}.localhost`;
      const names = new Set<string>();
      for (let i = 0; i < 6; i++) {
        const r = await get('/', undefined, h);
        assert.equal(r.status, 200, r.body);
        names.add(r.body.trim());
      }
      assert.deepEqual([...names].sort(), ['rep1', 'rep2']);
      const view = daemon.routes.view().routes.find((r) => r.host === h)!;
      assert.equal(view.servers?.length, 2);
      await scratch.docker.getContainer(scratch.name('rep2')).stop({ t: 0 });
      await until('rep2 is stopped in the model', () =>
        daemon.docker?.containers().containers.some((c) => c.name === scratch.name('rep2') && c.state === 'exited'),
      );
      for (let i = 0; i < 4; i++) assert.equal((await get('/', undefined, h)).body.trim(), 'rep1');
    });

    it('a broken edit of the dynamic file keeps the last good configuration serving, with file and line in the status', async () => {
      writeDynamic('http:\n  middlewares: [broken\n');
      const client = new ControlClient(daemon.paths.stateDir);
      const status = await until('the error is in the status', async () => {
        const s = await client.request<DaemonStatus>('GET', '/v1/status');
        return s.problems.some((p) => /dynamic\.yml:\d+/.test(p)) ? s : undefined;
      });
      assert.ok(
        status.problems.some((p) => /dynamic\.yml:\d+/.test(p)),
        status.problems.join('\n'),
      );
      assert.equal((await get('/cgi-bin/env')).headers['x-frame-options'], 'DENY', 'the old middleware still serves');
      writeDynamic(dynamic('SAMEORIGIN'));
      await until('the fixed file applies', async () => (await get('/')).headers['x-frame-options'] === 'SAMEORIGIN');
      const after = await client.request<DaemonStatus>('GET', '/v1/status');
      assert.ok(!after.problems.some((p) => /dynamic\.yml/.test(p)), after.problems.join('\n'));
    });
  },
);

import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import {
  AutoDomainOptions,
  ProbeResult,
  autoName,
  deriveAutoRoutes,
  dnsLabel,
  portsToProbe,
} from '../../proxy-core/src/docker/autoDomains';
import { RawContainer, modelContainer } from '../../proxy-core/src/docker/containerModel';
import { HttpProbes, probeHttp } from '../../proxy-core/src/docker/httpProbe';
import { deriveLabelRoutes } from '../../proxy-core/src/docker/labelSource';
import { LocalCa } from '../../proxy-core/src/certs/localCa';
import { RouteTable } from '../../proxy-core/src/routes/routeTable';
import type { RouteRecord } from '../../proxy-core/src/routes/types';
import { tempDir } from '../support/env';

let seq = 0;
/** A running container as the list API shows it; compose labels when project is given. */
function container(
  name: string,
  opts: {
    project?: string;
    service?: string;
    ports?: number[];
    udp?: number[];
    labels?: Record<string, string>;
  } & Partial<Pick<RawContainer, 'State' | 'Created'>> = {},
) {
  const labels: Record<string, string> = { ...opts.labels };
  if (opts.project !== undefined) labels['com.docker.compose.project'] = opts.project;
  if (opts.service !== undefined) labels['com.docker.compose.service'] = opts.service;
  return modelContainer({
    Id: `${(++seq).toString(16).padStart(4, '0')}${'a'.repeat(60)}`,
    Names: [`/${name}`],
    Image: 'img',
    Created: opts.Created ?? 1_700_000_000 + seq,
    State: opts.State ?? 'running',
    Ports: [
      ...(opts.ports ?? [8000]).map((p) => ({ PrivatePort: p, Type: 'tcp' })),
      ...(opts.udp ?? []).map((p) => ({ PrivatePort: p, Type: 'udp' })),
    ],
    Labels: labels,
  });
}

const OPTS: AutoDomainOptions = { mode: 'compose', suffix: 'localhost', permits: () => true, claimed: new Map() };
const http200: ProbeResult = { answer: 'http', detail: 'answered HTTP/1.0 200 OK', final: true };
const garbage: ProbeResult = { answer: 'other', detail: 'answered "garbage\\n", not HTTP', final: true };
const silent: ProbeResult = { answer: 'none', detail: 'refused the connection', final: false };

const hosts = (records: RouteRecord[]) => records.map((r) => `${r.host} -> ${r.target}`).sort();

describe('automatic names: DNS labels', () => {
  const cases: Array<[string, string | undefined]> = [
    ['web', 'web'],
    ['Web', 'web'],
    ['my_app', 'my-app'],
    ['my__app', 'my-app'],
    ['my.app', 'my-app'],
    ['-web-', 'web'],
    ['_web_', 'web'],
    ['web-1', 'web-1'],
    ['a--b', 'a--b'],
    ['Ünïcode', 'n-code'],
    ['___', undefined],
    ['', undefined],
    ['xn--zz', undefined],
    ['xn--bcher-kva', 'xn--bcher-kva'],
    ['a'.repeat(70), 'a'.repeat(63)],
    [`${'a'.repeat(62)}_b`, 'a'.repeat(62)],
  ];
  for (const [input, want] of cases)
    it(`${JSON.stringify(input)} -> ${JSON.stringify(want)}`, () => assert.equal(dnsLabel(input), want));

  it('service.project.localhost for compose, name.localhost with all, nothing otherwise', () => {
    const c = container('shop-web-1', { project: 'My_Shop', service: 'web_app' });
    assert.deepEqual(autoName(c, 'compose', 'localhost'), { host: 'web-app.my-shop.localhost' });
    const plain = container('Plain.Box');
    assert.equal(autoName(plain, 'compose', 'localhost'), undefined);
    assert.deepEqual(autoName(plain, 'all', 'localhost'), { host: 'plain-box.localhost' });
    assert.equal(autoName(c, 'off', 'localhost'), undefined);
    assert.deepEqual(autoName(c, 'compose', 'test'), { host: 'web-app.my-shop.test' });
  });

  it('a name that cannot be made valid gets none, with the reason', () => {
    const bad = container('x', { project: 'shop', service: '___' });
    const got = autoName(bad, 'compose', 'localhost');
    assert.ok(got && 'reason' in got);
    assert.match(got.reason, /compose service name "___" has no letters or digits/);
    const noService = container('y', { project: 'shop' });
    const got2 = autoName(noService, 'compose', 'localhost');
    assert.ok(got2 && 'reason' in got2);
    assert.match(got2.reason, /no com\.docker\.compose\.service label/);
  });
});

describe('automatic names: derivation (pure)', () => {
  it('a compose container with one TCP port gets service.project.localhost; UDP ports do not count', () => {
    const c = container('shop-web-1', { project: 'shop', service: 'web', ports: [8000], udp: [53] });
    const out = deriveAutoRoutes([c], new Map(), OPTS);
    assert.deepEqual(hosts(out.records), ['web.shop.localhost -> container:shop-web-1:8000']);
    assert.equal(out.records[0].source, 'auto');
    assert.equal(out.records[0].tls, 'local');
    assert.equal(out.records[0].container, 'shop-web-1');
    assert.deepEqual(out.domains.get('shop-web-1'), { host: 'web.shop.localhost', port: 8000, portFrom: 'only' });
    assert.deepEqual(portsToProbe(c, 'compose'), [], 'one port: nothing to probe');
  });

  it('compose mode leaves plain containers alone; all names them; off names nothing', () => {
    const plain = container('box');
    const comp = container('shop-db-1', { project: 'shop', service: 'db', ports: [5432] });
    assert.deepEqual(hosts(deriveAutoRoutes([plain, comp], new Map(), OPTS).records), [
      'db.shop.localhost -> container:shop-db-1:5432',
    ]);
    assert.equal(deriveAutoRoutes([plain], new Map(), OPTS).domains.has('box'), false);
    assert.deepEqual(hosts(deriveAutoRoutes([plain, comp], new Map(), { ...OPTS, mode: 'all' }).records), [
      'box.localhost -> container:box:8000',
      'db.shop.localhost -> container:shop-db-1:5432',
    ]);
    assert.deepEqual(deriveAutoRoutes([plain, comp], new Map(), { ...OPTS, mode: 'off' }).records, []);
  });

  it('container-https.enable=false opts out, with the reason', () => {
    const c = container('shop-web-1', {
      project: 'shop',
      service: 'web',
      labels: { 'container-https.enable': 'false', 'container-https.host': 'x.localhost' },
    });
    const out = deriveAutoRoutes([c], new Map(), OPTS);
    assert.deepEqual(out.records, []);
    assert.match(out.domains.get('shop-web-1')!.reason!, /container-https\.enable=false/);
    assert.equal(out.problems.size, 0);
  });

  it('only running containers are named', () => {
    const c = container('shop-web-1', { project: 'shop', service: 'web', State: 'exited' });
    const out = deriveAutoRoutes([c], new Map(), OPTS);
    assert.deepEqual(out.records, []);
    assert.match(out.domains.get('shop-web-1')!.reason!, /while the container is exited/);
    assert.deepEqual(portsToProbe(c, 'compose'), []);
  });

  it('the container-https.port label picks the port without probing', () => {
    const c = container('shop-web-1', {
      project: 'shop',
      service: 'web',
      ports: [8000, 9000],
      labels: { 'container-https.port': '9000' },
    });
    assert.deepEqual(portsToProbe(c, 'compose'), []);
    const out = deriveAutoRoutes([c], new Map(), OPTS);
    assert.deepEqual(hosts(out.records), ['web.shop.localhost -> container:shop-web-1:9000']);
    assert.equal(out.domains.get('shop-web-1')!.portFrom, 'label');
  });

  it('several ports: waits for the probes, then the lowest HTTP port gets the name and the others P.name', () => {
    const c = container('shop-web-1', { project: 'shop', service: 'web', ports: [3000, 8000, 9000] });
    assert.deepEqual(portsToProbe(c, 'compose'), [3000, 8000, 9000]);
    const pending = deriveAutoRoutes([c], new Map(), OPTS);
    assert.deepEqual(pending.records, []);
    assert.equal(pending.domains.get('shop-web-1')!.pending, true);
    const probes = new Map([
      [
        c.info.id,
        new Map([
          [3000, garbage],
          [8000, http200],
          [9000, http200],
        ]),
      ],
    ]);
    const out = deriveAutoRoutes([c], probes, OPTS);
    assert.deepEqual(hosts(out.records), [
      '9000.web.shop.localhost -> container:shop-web-1:9000',
      'web.shop.localhost -> container:shop-web-1:8000',
    ]);
    const d = out.domains.get('shop-web-1')!;
    assert.equal(d.host, 'web.shop.localhost');
    assert.equal(d.port, 8000);
    assert.equal(d.portFrom, 'probe');
    assert.deepEqual(d.others, [{ host: '9000.web.shop.localhost', port: 9000 }]);
    assert.match(d.reason!, /Not HTTP, so not named: 3000 answered "garbage\\n", not HTTP/);
  });

  it('the lowest HTTP port does not wait for higher ports still being probed, but does for lower ones', () => {
    const c = container('shop-web-1', { project: 'shop', service: 'web', ports: [8000, 9000] });
    const low = deriveAutoRoutes([c], new Map([[c.info.id, new Map([[8000, http200]])]]), OPTS);
    assert.deepEqual(hosts(low.records), ['web.shop.localhost -> container:shop-web-1:8000']);
    const high = deriveAutoRoutes([c], new Map([[c.info.id, new Map([[9000, http200]])]]), OPTS);
    assert.deepEqual(high.records, []);
    assert.equal(high.domains.get('shop-web-1')!.pending, true);
  });

  it('a lower port that refused and later answers HTTP takes the name; the higher one keeps P.name', () => {
    const c = container('shop-web-1', { project: 'shop', service: 'web', ports: [9000, 9100] });
    const at = (r9000: ProbeResult) =>
      hosts(
        deriveAutoRoutes(
          [c],
          new Map([
            [
              c.info.id,
              new Map([
                [9000, r9000],
                [9100, http200],
              ]),
            ],
          ]),
          OPTS,
        ).records,
      );
    assert.deepEqual(at(silent), ['web.shop.localhost -> container:shop-web-1:9100']);
    assert.deepEqual(at(http200), [
      '9100.web.shop.localhost -> container:shop-web-1:9100',
      'web.shop.localhost -> container:shop-web-1:9000',
    ]);
  });

  it('no port answers HTTP: no name, and why (yet, while a silent port is asked again)', () => {
    const c = container('shop-q-1', { project: 'shop', service: 'q', ports: [8000, 9000] });
    const tlsAnswer: ProbeResult = { answer: 'tls', detail: 'answered with TLS', final: true };
    const retrying = deriveAutoRoutes(
      [c],
      new Map([
        [
          c.info.id,
          new Map([
            [8000, silent],
            [9000, tlsAnswer],
          ]),
        ],
      ]),
      OPTS,
    );
    assert.deepEqual(retrying.records, []);
    assert.match(
      retrying.domains.get('shop-q-1')!.reason!,
      /^No automatic name yet: no port answers HTTP \(8000 refused the connection; 9000 answered with TLS\); asking again/,
    );
    const final = deriveAutoRoutes(
      [c],
      new Map([
        [
          c.info.id,
          new Map([
            [8000, { ...silent, final: true }],
            [9000, tlsAnswer],
          ]),
        ],
      ]),
      OPTS,
    );
    const reason = final.domains.get('shop-q-1')!.reason!;
    assert.match(reason, /^No automatic name: no port answers HTTP/);
    assert.match(reason, /container-https\.port=PORT/);
    assert.equal(final.domains.get('shop-q-1')!.pending, undefined);
    assert.equal(final.problems.size, 0, 'not HTTP is not a mistake to fix');
  });

  it('no TCP port: no name, and why', () => {
    const c = container('shop-dns-1', { project: 'shop', service: 'dns', ports: [], udp: [53] });
    const out = deriveAutoRoutes([c], new Map(), OPTS);
    assert.match(out.domains.get('shop-dns-1')!.reason!, /exposes no TCP port/);
  });

  it('two containers for one name: the older keeps it, the other is reported', () => {
    const old = container('a-web', { project: 'shop', service: 'web', Created: 100 });
    const young = container('b-web', { project: 'shop', service: 'web', Created: 200 });
    for (const order of [
      [young, old],
      [old, young],
    ]) {
      const out = deriveAutoRoutes(order, new Map(), OPTS);
      assert.deepEqual(hosts(out.records), ['web.shop.localhost -> container:a-web:8000']);
      assert.equal(out.domains.get('a-web')!.host, 'web.shop.localhost');
      assert.equal(out.domains.get('b-web')!.host, undefined);
      assert.match(
        out.problems.get('b-web')![0],
        /web\.shop\.localhost is already the automatic name of container a-web/,
      );
      assert.equal(out.problems.has('a-web'), false);
    }
  });

  it('a host a label or file router serves is left to it', () => {
    const c = container('shop-web-1', { project: 'shop', service: 'web' });
    const out = deriveAutoRoutes([c], new Map(), {
      ...OPTS,
      claimed: new Map([['web.shop.localhost', 'router web@docker of container other']]),
    });
    assert.deepEqual(out.records, []);
    assert.match(out.domains.get('shop-web-1')!.reason!, /served by router web@docker of container other instead/);
  });

  it('a name outside the local CA is not made', () => {
    const c = container('shop-web-1', { project: 'shop', service: 'web' });
    const out = deriveAutoRoutes([c], new Map(), { ...OPTS, permits: () => false });
    assert.deepEqual(out.records, []);
    assert.match(out.domains.get('shop-web-1')!.reason!, /outside the local CA/);
  });

  it('a container-https.port label that does nothing is reported', () => {
    const plain = container('box', { labels: { 'container-https.port': '8000' } });
    const out = deriveAutoRoutes([plain], new Map(), OPTS);
    assert.match(out.problems.get('box')![0], /container-https\.port=8000 without container-https\.host does nothing/);
    // With a host label the port is that route's: nothing to report.
    const hosted = container('box2', {
      labels: { 'container-https.port': '8000', 'container-https.host': 'b.localhost' },
    });
    assert.equal(deriveAutoRoutes([hosted], new Map(), OPTS).problems.size, 0);
    assert.equal(
      deriveLabelRoutes([plain], undefined, { permits: () => true, suffixes: ['localhost'], publicHosts: 'alias' })
        .problems.size,
      0,
    );
  });

  it('in the route table an automatic name ranks below every other source, the demo included', () => {
    const table = new RouteTable();
    const at = '2024-01-01T00:00:00.000Z';
    const rec = (source: RouteRecord['source'], target: string): RouteRecord => ({
      host: 'demo.localhost',
      target,
      tls: 'local',
      source,
      createdAt: at,
    });
    table.replaceSource('auto', [{ ...rec('auto', 'container:demo:8000'), container: 'demo' }]);
    assert.equal(table.get('demo.localhost')!.source, 'auto');
    table.replaceSource('demo', [rec('demo', 'builtin:demo')]);
    assert.equal(table.get('demo.localhost')!.source, 'demo');
    assert.deepEqual(
      table.list().map((r) => r.source),
      ['demo'],
      'the automatic one is hidden behind a whole-host route',
    );
    table.replaceSource('user', [rec('user', 'http://127.0.0.1:1')]);
    assert.equal(table.get('demo.localhost')!.source, 'user');
  });
});

describe('HTTP probe (local sockets)', () => {
  const servers: Array<{ close: () => void }> = [];
  const listen = async (server: net.Server) => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    return (server.address() as AddressInfo).port;
  };
  let ca: LocalCa;
  before(async () => {
    ({ ca } = await LocalCa.loadOrCreate(tempDir()));
  });
  after(() => {
    for (const s of servers) s.close();
  });

  it('HTTP is HTTP, whatever the status', async () => {
    const port = await listen(http.createServer((_q, s) => s.writeHead(404).end('no')));
    const r = await probeHttp('127.0.0.1', port);
    assert.equal(r.answer, 'http');
    assert.match(r.detail, /answered HTTP\/1\.1 404/);
    assert.equal(r.final, true);
  });

  it('TLS, and a TLS server that answers plain HTTP with 400, are not HTTP', async () => {
    const leaf = await ca.issueLeaf('probe.localhost');
    const port = await listen(tls.createServer({ cert: leaf.certPem, key: leaf.keyPem }, (s) => s.end()));
    assert.equal((await probeHttp('127.0.0.1', port)).answer, 'tls');
    const nginxLike = await listen(
      net.createServer((s) =>
        s.once('data', () =>
          s.end(
            'HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\n\r\n<center>The plain HTTP request was sent to HTTPS port</center>',
          ),
        ),
      ),
    );
    assert.equal((await probeHttp('127.0.0.1', nginxLike)).answer, 'tls');
  });

  it('garbage is other; silence, a closed port and a connection closed at once are nothing', async () => {
    const junk = await listen(net.createServer((s) => s.end('garbage\n')));
    const r = await probeHttp('127.0.0.1', junk);
    assert.equal(r.answer, 'other');
    assert.equal(r.final, true);
    const quiet = await listen(net.createServer(() => undefined));
    const t0 = Date.now();
    const q = await probeHttp('127.0.0.1', quiet, 300);
    assert.equal(q.answer, 'none');
    assert.match(q.detail, /answered nothing within 0\.3 s/);
    assert.ok(Date.now() - t0 < 2000);
    const closer = await listen(net.createServer((s) => s.destroy()));
    assert.equal((await probeHttp('127.0.0.1', closer)).answer, 'none');
    const gone = net.createServer();
    const free = await listen(gone);
    gone.close();
    const refused = await probeHttp('127.0.0.1', free);
    assert.equal(refused.answer, 'none');
    assert.equal(refused.final, false, 'asked again: the server may still be starting');
    assert.match(refused.detail, /refused/);
  });

  it('HttpProbes asks once per container start and port, asks a silent port again, and forgets stopped containers', async () => {
    const asked: number[] = [];
    const answers = new Map<number, ProbeResult[]>([
      [8000, [http200]],
      [9000, [silent, silent, http200]],
    ]);
    const probes = new HttpProbes({
      address: (_c, port) => ({ hostname: '127.0.0.1', port }),
      wanted: (c) => portsToProbe(c, 'compose'),
      probe: async (_h, port) => {
        asked.push(port);
        const list = answers.get(port)!;
        return list.length > 1 ? list.shift()! : list[0];
      },
      retryMs: [5, 5, 5],
    });
    let changes = 0;
    probes.on('changed', () => changes++);
    const c = container('shop-web-1', { project: 'shop', service: 'web', ports: [8000, 9000] });
    probes.sync([c]);
    probes.sync([c]); // the same container again (another event): nothing asked twice
    const deadline = Date.now() + 2000;
    while (probes.results().get(c.info.id)?.get(9000)?.answer !== 'http' && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 5));
    assert.equal(probes.results().get(c.info.id)?.get(8000)?.answer, 'http');
    assert.equal(probes.results().get(c.info.id)?.get(9000)?.answer, 'http');
    assert.deepEqual(asked.sort(), [8000, 9000, 9000, 9000]);
    assert.ok(changes >= 2);
    // Stopped: forgotten, so the next start probes again.
    probes.sync([{ ...c, info: { ...c.info, state: 'exited' } }]);
    assert.equal(probes.results().size, 0);
    probes.sync([c]);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(asked.filter((p) => p === 8000).length, 2);
    probes.close();
  });
});

describe('automatic names: certificates before the route, and scaled replicas (pure)', () => {
  it('a created container with one port is routed already (as label routes are); one whose ports need a probe has its name in `upcoming`, for the certificate', () => {
    const created = container('shop-web-1', { project: 'shop', service: 'web', State: 'created' });
    const createdTwo = container('shop-two-1', {
      project: 'shop',
      service: 'two',
      ports: [8000, 9000],
      State: 'created',
    });
    const probing = container('shop-api-1', { project: 'shop', service: 'api', ports: [8000, 9000] });
    const exited = container('shop-old-1', { project: 'shop', service: 'old', State: 'exited' });
    const taken = container('shop-db-1', { project: 'shop', service: 'db', ports: [1, 2], State: 'created' });
    const out = deriveAutoRoutes([created, createdTwo, probing, exited, taken], new Map(), {
      ...OPTS,
      claimed: new Map([['db.shop.localhost', 'router db@docker']]),
    });
    assert.deepEqual(out.upcoming.sort(), ['api.shop.localhost', 'two.shop.localhost']);
    assert.deepEqual(hosts(out.records), ['web.shop.localhost -> container:shop-web-1:8000']);
    assert.match(out.domains.get('shop-old-1')!.reason!, /while the container is exited/);
  });

  it('replicas of one compose service share its name round robin; a one-off `compose run` container does not', () => {
    const replica = (n: number, extra: Record<string, string> = {}, name = `shop-web-${n}`) =>
      container(name, {
        project: 'shop',
        service: 'web',
        ports: [8000, 9000],
        labels: { 'com.docker.compose.container-number': String(n), ...extra },
      });
    const [a, b, c] = [replica(1), replica(2), replica(3)];
    const run = replica(1, { 'com.docker.compose.oneoff': 'True' }, 'shop-web-run-1');
    const probes = new Map(
      [a, b, c, run].map((x) => [
        x.info.id,
        new Map([
          [8000, http200],
          [9000, http200],
        ]),
      ]),
    );
    const out = deriveAutoRoutes([a, b, c, run], probes, OPTS);
    const byHost = new Map(out.records.map((r) => [r.host, r]));
    assert.deepEqual(byHost.get('web.shop.localhost')!.servers, [
      'container:shop-web-1:8000',
      'container:shop-web-2:8000',
      'container:shop-web-3:8000',
    ]);
    assert.equal(byHost.get('web.shop.localhost')!.target, 'container:shop-web-1:8000');
    assert.deepEqual(byHost.get('9000.web.shop.localhost')!.servers?.length, 3);
    assert.equal(out.records.length, 2);
    for (const x of [a, b, c]) assert.equal(out.domains.get(x.info.name)!.host, 'web.shop.localhost');
    assert.match(out.problems.get(run.info.name)![0], /already the automatic name of container shop-web-1/);
  });
});

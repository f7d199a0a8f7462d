// RouteTable on its own: the merge of sources by priority, the one 'changed' event, and what
// resolve() answers for each kind of target. Plain data in and out, so no daemon is needed.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { RouteTable } from '../../proxy-core/src/routes/routeTable';
import { RouteRecord, RouteSource } from '../../proxy-core/src/routes/types';

const noRequest = (): never => {
  throw new Error('a host-only route needs no request details');
};
const at = '2026-01-01T00:00:00.000Z';
const record = (host: string, source: RouteSource, target: string): RouteRecord => ({
  host,
  target,
  tls: 'local',
  source,
  createdAt: at,
});

function counting(table: RouteTable): () => number {
  let n = 0;
  table.on('changed', () => n++);
  return () => n;
}

describe('RouteTable', () => {
  test('user beats label beats demo for one host, whatever the order they arrive in', () => {
    const table = new RouteTable();
    table.upsert(record('app.localhost', 'user', 'http://127.0.0.1:3000'));
    table.replaceSource('label', [record('app.localhost', 'label', 'container:web:80')]);
    table.replaceSource('demo', [record('app.localhost', 'demo', 'builtin:demo')]);
    assert.equal(table.get('app.localhost')?.source, 'user');
    table.remove('user', 'app.localhost');
    assert.equal(table.get('app.localhost')?.source, 'label', 'removing the user route uncovers the label route');
    table.replaceSource('label', []);
    assert.equal(table.get('app.localhost')?.source, 'demo');
  });

  test('list() is the effective routes, one per host, sorted by host', () => {
    const table = new RouteTable();
    table.replaceSource('label', [
      record('b.localhost', 'label', 'container:b'),
      record('a.localhost', 'label', 'container:a'),
    ]);
    table.upsert(record('b.localhost', 'user', '5000'));
    assert.deepEqual(
      table.list().map((r) => `${r.host} ${r.source}`),
      ['a.localhost label', 'b.localhost user'],
    );
    assert.deepEqual(
      table
        .recordsOf('label')
        .map((r) => r.host)
        .sort(),
      ['a.localhost', 'b.localhost'],
      'a covered record is kept in its source',
    );
  });

  test("every change says 'changed' once; removing a route that is not there says nothing", () => {
    const table = new RouteTable();
    const changes = counting(table);
    table.upsert(record('a.localhost', 'user', '5000'));
    assert.equal(changes(), 1);
    table.replaceSource('label', [record('b.localhost', 'label', 'container:b')]);
    assert.equal(changes(), 2);
    assert.equal(table.remove('user', 'nope.localhost'), false);
    assert.equal(changes(), 2);
    assert.equal(table.remove('user', 'a.localhost'), true);
    assert.equal(changes(), 3);
    table.notifyTargetsChanged();
    assert.equal(changes(), 4, 'container addresses changing is a change of the view too');
  });

  test('route(): URL targets are upstreams, builtin:demo is built in, unknown hosts are undefined', () => {
    const table = new RouteTable();
    table.upsert(record('a.localhost', 'user', '5000'));
    table.upsert(record('d.localhost', 'user', 'builtin:demo'));
    assert.deepEqual(table.route('a.localhost', noRequest)?.resolution, {
      kind: 'upstream',
      upstream: { kind: 'url', protocol: 'http:', hostname: '127.0.0.1', port: 5000, href: 'http://127.0.0.1:5000' },
    });
    assert.equal(table.route('d.localhost', noRequest)?.resolution.kind, 'builtin');
    assert.equal(table.route('x.localhost', noRequest), undefined);
  });

  test('route(): container targets ask the container resolver, and without one say Docker is off', () => {
    const table = new RouteTable();
    table.upsert(record('c.localhost', 'user', 'container:web:8000'));
    const off = table.route('c.localhost', noRequest)?.resolution;
    assert.equal(off?.kind, 'unavailable');
    assert.match(off?.kind === 'unavailable' ? off.detail : '', /runs without Docker discovery/);
    const asked: Array<[string, number | undefined]> = [];
    table.setContainerResolver((container, port) => {
      asked.push([container, port]);
      return {
        kind: 'upstream',
        upstream: {
          protocol: 'http:',
          hostname: '172.17.0.2',
          port: port ?? 80,
          href: `http://172.17.0.2:${port ?? 80}`,
        },
      };
    });
    assert.equal(table.route('c.localhost', noRequest)?.resolution.kind, 'upstream');
    assert.deepEqual(asked, [['web', 8000]]);
  });
});

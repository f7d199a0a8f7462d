/* eslint-disable @typescript-eslint/no-explicit-any -- parsed Traefik and compose configs are checked against the schemas and by value, not by a TypeScript type */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as YAML from 'yaml';
import { addLabelsToCompose } from '../../proxy-core/src/scaffold';
import { validateLabels } from './support';

const OPTS = { service: 'app', hosts: ['app.example.com', 'www.example.com'], port: 5000, network: 'proxy' };
const EXPECTED: Array<[string, string]> = [
  ['traefik.enable', 'true'],
  ['traefik.docker.network', 'proxy'],
  ['traefik.http.routers.app.rule', 'Host(`app.example.com`) || Host(`www.example.com`)'],
  ['traefik.http.routers.app.entrypoints', 'websecure'],
  ['traefik.http.routers.app.tls.certresolver', 'letsencrypt'],
  ['traefik.http.services.app.loadbalancer.server.port', '5000'],
];

/** What compose reads: merge keys and aliases resolved, labels as [key, value] pairs. */
function labelsOf(text: string, service: string): Array<[string, string]> {
  const labels = (YAML.parse(text, { merge: true }) as any).services[service].labels;
  if (!labels) return [];
  if (Array.isArray(labels))
    return labels.map((l: string) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]);
  return Object.entries(labels).map(([k, v]) => [k, String(v)]);
}

/** Every line of `before` is still in `after`, in order (edits only add lines or change labels). */
function keepsLines(before: string, after: string, except: RegExp = /^$/): void {
  const rest = after.split('\n');
  let i = 0;
  for (const line of before.split('\n')) {
    if (except.test(line)) continue;
    while (i < rest.length && rest[i] !== line) i++;
    assert.ok(i < rest.length, `line lost or reordered: ${JSON.stringify(line)}\n--- after:\n${after}`);
    i++;
  }
}

function sorted(pairs: Array<[string, string]>): Array<[string, string]> {
  return [...pairs].sort(([a], [b]) => a.localeCompare(b));
}

const LIST_FORM = `# Production stack — keep this comment
version: "3.8"

services:
  app:
    image: registry.example.com/app:1.4   # pinned on purpose
    # labels for the proxy
    labels:
      - "com.example.team=web"   # owner
      - "traefik.enable=true"
    ports:
      - "5000"

  db:
    image: postgres:16
    environment: {POSTGRES_DB: app, POSTGRES_USER: app}
`;

const MAP_FORM = `services:
  app:
    image: app
    labels:
      com.example.team: web
      # traefik wiring below
      traefik.enable: "true"
  worker:
    image: app
    command: ["worker", "--queue", "default"]
`;

const PARTIAL = `services:
  app:
    image: app
    labels:
      - traefik.enable=false
      - traefik.http.routers.web.rule=Host(\`old.example.com\`)
      - traefik.http.routers.web.tls.certResolver=staging   # from the first try
`;

const NO_LABELS_FLUSH_SEQUENCES = `services:
  app:
    image: app
    ports:
    - "5000:5000"
  other:
    image: other
    labels:
    - keep=me
`;

const ANCHORS = `x-defaults: &defaults
  restart: unless-stopped
  labels:
    - "traefik.enable=true"
    - "com.example.stack=prod"

x-shared-labels: &shared
  com.example.owner: ops

services:
  app:
    <<: *defaults
    image: app
  api:
    <<: *defaults
    image: api
  cron:
    image: cron
    labels: *shared
`;

describe('scaffold: adding labels to a compose file', () => {
  it('list form with comments: new labels follow the existing ones in their quoting; nothing else moves', () => {
    const { text, changed } = addLabelsToCompose(LIST_FORM, OPTS);
    assert.ok(changed);
    keepsLines(LIST_FORM, text);
    assert.deepEqual(labelsOf(text, 'app'), [['com.example.team', 'web'], ...EXPECTED]);
    assert.match(
      text,
      /^ {6}- "traefik\.http\.routers\.app\.rule=Host\(`app\.example\.com`\) \|\| Host\(`www\.example\.com`\)"$/m,
    );
    assert.deepEqual(labelsOf(text, 'db'), []);
    validateLabels(labelsOf(text, 'app'));
  });

  it('running it again changes nothing (no duplicates)', () => {
    const once = addLabelsToCompose(LIST_FORM, OPTS).text;
    const twice = addLabelsToCompose(once, OPTS);
    assert.equal(twice.changed, false);
    assert.equal(twice.text, once);
  });

  it('map form: new labels are map entries, with string values quoted as compose needs', () => {
    const { text } = addLabelsToCompose(MAP_FORM, OPTS);
    keepsLines(MAP_FORM, text);
    assert.deepEqual(labelsOf(text, 'app'), [['com.example.team', 'web'], ...EXPECTED]);
    const labels = (YAML.parse(text) as any).services.app.labels;
    for (const v of Object.values(labels)) assert.equal(typeof v, 'string');
    assert.match(text, /^ {6}traefik\.http\.services\.app\.loadbalancer\.server\.port: "5000"$/m);
  });

  it('an existing partial set is updated in place: its router name is kept, values replaced, no second router', () => {
    const { text } = addLabelsToCompose(PARTIAL, { service: 'app', hosts: ['app.example.com'] });
    const labels = labelsOf(text, 'app');
    assert.deepEqual(
      sorted(labels),
      sorted([
        ['traefik.enable', 'true'],
        ['traefik.http.routers.web.rule', 'Host(`app.example.com`)'],
        ['traefik.http.routers.web.tls.certResolver', 'letsencrypt'],
        ['traefik.http.routers.web.entrypoints', 'websecure'],
      ]),
    );
    assert.equal(new Set(labels.map(([k]) => k.toLowerCase())).size, labels.length, 'duplicate keys');
    assert.doesNotMatch(text, /routers\.app\./);
    assert.match(text, /certResolver=letsencrypt {3}# from the first try/, 'the trailing comment stays with its label');
    validateLabels(labels);
  });

  it("a service without labels gets a block after its last key, in the file's sequence style and form", () => {
    const { text } = addLabelsToCompose(NO_LABELS_FLUSH_SEQUENCES, OPTS);
    keepsLines(NO_LABELS_FLUSH_SEQUENCES, text);
    assert.deepEqual(labelsOf(text, 'app'), EXPECTED);
    assert.match(text, /^ {4}labels:\n {4}- traefik\.enable=true$/m);
    assert.deepEqual(labelsOf(text, 'other'), [['keep', 'me']]);
  });

  it('labels inherited through an anchor and merge key: the service gets its own copy, the anchor and its other users stay', () => {
    const { text } = addLabelsToCompose(ANCHORS, OPTS);
    assert.deepEqual(labelsOf(text, 'app'), [
      ['traefik.enable', 'true'],
      ['com.example.stack', 'prod'],
      ...EXPECTED.slice(1),
    ]);
    assert.deepEqual(labelsOf(text, 'api'), [
      ['traefik.enable', 'true'],
      ['com.example.stack', 'prod'],
    ]);
    assert.deepEqual(labelsOf(text, 'cron'), [['com.example.owner', 'ops']]);
    assert.match(text, /^x-defaults: &defaults$/m);
    assert.match(text, /^ {4}<<: \*defaults$/m);
    assert.match(text, /^ {4}labels: \*shared$/m);
  });

  it('labels that are an alias to a shared mapping: copied for this service, the shared one untouched', () => {
    const { text } = addLabelsToCompose(ANCHORS, { ...OPTS, service: 'cron' });
    assert.deepEqual(labelsOf(text, 'cron'), [
      ['com.example.owner', 'ops'],
      ...EXPECTED.map(([k, v]) => [k.replace('.app.', '.cron.'), v] as [string, string]),
    ]);
    assert.match(text, /^x-shared-labels: &shared\n {2}com\.example\.owner: ops$/m);
    assert.deepEqual(labelsOf(text, 'app'), [
      ['traefik.enable', 'true'],
      ['com.example.stack', 'prod'],
    ]);
  });

  it('CRLF line ends stay CRLF, in edited and added lines alike', () => {
    for (const src of [LIST_FORM, MAP_FORM, PARTIAL, NO_LABELS_FLUSH_SEQUENCES, ANCHORS]) {
      const crlf = src.replace(/\n/g, '\r\n');
      const service = 'app';
      const { text } = addLabelsToCompose(crlf, { ...OPTS, service });
      assert.doesNotMatch(text, /[^\r]\n/, 'a bare LF crept in');
      assert.deepEqual(labelsOf(text, service), labelsOf(addLabelsToCompose(src, { ...OPTS, service }).text, service));
    }
  });

  it('flow-style labels are edited too', () => {
    const src = 'services:\n  app:\n    image: app\n    labels: ["com.example.a=1"]\n';
    const { text } = addLabelsToCompose(src, OPTS);
    assert.deepEqual(labelsOf(text, 'app'), [['com.example.a', '1'], ...EXPECTED]);
  });

  const refusals: Array<[string, string, RegExp]> = [
    [
      'malformed YAML, with its line',
      'services:\n  app:\n    image: app\n    labels: [oops\n  db: {}\n',
      /not valid YAML \(line \d+, column \d+\).*Nothing was changed/,
    ],
    ['a duplicate key', 'services:\n  app:\n    image: a\n    image: b\n', /not valid YAML/],
    ['no services section', 'version: "3"\n', /no "services:" section/],
    [
      'an unknown service, naming the ones there are',
      'services:\n  web: {image: x}\n  db: {image: y}\n',
      /has no service "app"; it has: web, db/,
    ],
    [
      'labels that are neither a list nor a map',
      'services:\n  app:\n    labels: traefik.enable=true\n',
      /neither a list nor a mapping/,
    ],
  ];
  for (const [name, src, message] of refusals) {
    it(`refuses ${name}, in one line`, () => {
      assert.throws(
        () => addLabelsToCompose(src, OPTS),
        (err: Error) => err.name === 'UserError' && message.test(err.message) && !err.message.includes('\n'),
      );
    });
  }
});

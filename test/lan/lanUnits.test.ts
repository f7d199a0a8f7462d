import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as plist from 'plist';
import { LocalCa } from '../../proxy-core/src/certs/localCa';
import { ControlClient } from '../../proxy-core/src/control/controlClient';
import { PostCaShare, PutLanShare } from '../../proxy-core/src/control/protocol';
import { isUserError } from '../../proxy-core/src/errors';
import { caDer, constraintsInWords, mobileconfig } from '../../proxy-core/src/lan/caProfile';
import { LanGate } from '../../proxy-core/src/lan/lanGate';
import { defaultRouteInterface, findLanInterface } from '../../proxy-core/src/lan/lanInterface';
import { lanNameFor } from '../../proxy-core/src/lan/lanName';
import { LanService } from '../../proxy-core/src/lan/lanService';
import { LanShareStore } from '../../proxy-core/src/lan/lanShareStore';
import { startDaemon } from '../support/daemon';
import { tempDir } from '../support/env';

const SUFFIXES = ['localhost', 'test', 'internal', 'home.arpa', 'local'];

describe('lan/caProfile.ts: what a phone downloads', () => {
  test('the .mobileconfig is a plist with one com.apple.security.root payload whose data is the CA as DER', async () => {
    const { ca } = await LocalCa.loadOrCreate(path.join(tempDir(), 'ca'));
    const parsed = plist.parse(mobileconfig(ca.certPem, ca.permittedSuffixes)) as Record<string, unknown>;
    assert.equal(parsed.PayloadType, 'Configuration');
    assert.equal(parsed.PayloadVersion, 1);
    assert.match(String(parsed.PayloadDescription), /can only vouch for names ending in \.localhost, .* or \.local/);
    const content = parsed.PayloadContent as Array<Record<string, unknown>>;
    assert.equal(content.length, 1);
    assert.equal(content[0].PayloadType, 'com.apple.security.root');
    assert.match(String(content[0].PayloadUUID), /^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-8[0-9A-F]{3}-[0-9A-F]{12}$/);
    const der = content[0].PayloadContent as Buffer;
    assert.ok(Buffer.isBuffer(der));
    assert.deepEqual(der, Buffer.from(new crypto.X509Certificate(ca.certPem).raw));
    // The same CA gives the same identifiers: a second install replaces the first.
    assert.equal(mobileconfig(ca.certPem, ca.permittedSuffixes), mobileconfig(ca.certPem, ca.permittedSuffixes));
  });

  test('the .crt is the DER of the CA', async () => {
    const { ca } = await LocalCa.loadOrCreate(path.join(tempDir(), 'ca'));
    const der = caDer(ca.certPem);
    assert.equal(new crypto.X509Certificate(der).fingerprint256, ca.fingerprint256());
    assert.equal(der[0], 0x30, 'a DER SEQUENCE, not PEM text');
  });

  test('the constraints in plain words', () => {
    assert.equal(
      constraintsInWords(['localhost', 'local']),
      'This CA can only vouch for names ending in .localhost or .local: it cannot vouch for your bank or any other public site, even if its key leaked.',
    );
  });

  test('a local certificate can carry the LAN name beside its own, and still nothing outside the suffixes', async () => {
    const { ca } = await LocalCa.loadOrCreate(path.join(tempDir(), 'ca'));
    const leaf = await ca.issueLeaf('app.localhost', new Date(), ['app.local']);
    assert.equal(new crypto.X509Certificate(leaf.certPem).subjectAltName, 'DNS:app.localhost, DNS:app.local');
    await assert.rejects(ca.issueLeaf('app.localhost', new Date(), ['app.example.com']), /outside the local CA/);
  });
});

describe('lan/lanName.ts', () => {
  test('the permitted suffix becomes local', () => {
    assert.equal(lanNameFor('app.localhost', SUFFIXES), 'app.local');
    assert.equal(lanNameFor('api.shop.test', SUFFIXES), 'api.shop.local');
    assert.equal(lanNameFor('nas.home.arpa', SUFFIXES), 'nas.local');
    assert.equal(lanNameFor('app.local', SUFFIXES), 'app.local');
    assert.throws(() => lanNameFor('localhost', SUFFIXES), /cannot be shared on the LAN/);
    assert.throws(() => lanNameFor('shop.example.com', SUFFIXES), /cannot be shared on the LAN/);
  });
});

describe('lan/lanInterface.ts', () => {
  const iface = (address: string, family: 'IPv4' | 'IPv6', internal = false) =>
    ({ address, family, internal, netmask: '', mac: '', cidr: null }) as never;
  const interfaces = {
    lo: [iface('127.0.0.1', 'IPv4', true)],
    eth0: [iface('192.168.1.20', 'IPv4'), iface('fe80::1', 'IPv6'), iface('2001:db8::20', 'IPv6')],
    wlan0: [iface('10.0.0.5', 'IPv4')],
  };
  const ROUTES = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0
wlan0\t00000000\t0100000A\t0003\t0\t0\t100\t00000000\t0\t0\t0
eth0\t0001A8C0\t00000000\t0001\t0\t0\t600\t00FFFFFF\t0\t0\t0`;

  test('auto is the interface of the default route with the lowest metric', () => {
    assert.equal(defaultRouteInterface(ROUTES), 'wlan0');
    assert.deepEqual(findLanInterface('auto', interfaces, ROUTES), {
      ok: true,
      iface: { name: 'wlan0', ipv4: '10.0.0.5' },
    });
  });

  test('a named interface: its IPv4 and a routable IPv6 (never link-local)', () => {
    assert.deepEqual(findLanInterface('eth0', interfaces, ROUTES), {
      ok: true,
      iface: { name: 'eth0', ipv4: '192.168.1.20', ipv6: '2001:db8::20' },
    });
    const none = findLanInterface('eth9', interfaces, ROUTES);
    assert.equal(none.ok, false);
    assert.match(!none.ok ? none.reason : '', /no network interface eth9 \(found: lo, eth0, wlan0\)/);
    assert.equal(findLanInterface('lo', interfaces, ROUTES).ok, false);
  });
});

describe('lan/lanGate.ts: who reaches what', () => {
  const gate = new LanGate(true);
  gate.setShares([
    { host: 'app.localhost', name: 'app.local', createdAt: '' },
    {
      host: 'secret.localhost',
      name: 'secret.local',
      createdAt: '',
      auth: { user: 'bob', hash: '$2a$04$' + 'a'.repeat(53) },
    },
  ]);

  test('loopback clients are not the gate’s business; LAN clients reach shared names only', () => {
    assert.equal(gate.admit('127.0.0.1', 'other.localhost'), undefined);
    assert.equal(gate.admit('::1', 'other.localhost'), undefined);
    assert.equal(gate.admit('192.168.1.7', 'other.localhost'), 'refuse');
    assert.equal(gate.admit('192.168.1.7', ''), 'refuse');
    assert.deepEqual(gate.admit('192.168.1.7', 'app.local'), { host: 'app.localhost', middlewares: [] });
    const secret = gate.admit('192.168.1.7', 'secret.local');
    assert.ok(secret && secret !== 'refuse' && secret.middlewares.length === 1);
    assert.equal(gate.certHostFor('app.local'), 'app.localhost');
    assert.equal(gate.certHostFor('other.local'), undefined);
  });

  test('with --bind beyond loopback the gate is off (LAN sharing is refused there)', () => {
    assert.equal(new LanGate(false).admit('192.168.1.7', 'other.localhost'), undefined);
  });
});

describe('lan/lanShareStore.ts', () => {
  test('shares survive a round trip; a file that cannot be read is moved aside and said so', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'lan.json');
    const store = new LanShareStore(file);
    await store.save([{ host: 'app.localhost', name: 'app.local', createdAt: 'x' }]);
    assert.equal((fs.statSync(file).mode & 0o777).toString(8), '600');
    assert.deepEqual(store.load().shares, [{ host: 'app.localhost', name: 'app.local', createdAt: 'x' }]);
    fs.writeFileSync(file, '{"shares": [{"host": 1}]}');
    const loaded = store.load();
    assert.deepEqual(loaded.shares, []);
    assert.match(loaded.problem ?? '', /lan\.json could not be read .* moved to .*lan\.json\.corrupt-/);
    assert.equal(fs.existsSync(file), false);
  });
});

describe('a daemon without --lan-interface (an embedding, every other test)', () => {
  test('share and ca share are refused with what to do, and nothing listens beyond loopback', async () => {
    const { daemon, stateDir } = await startDaemon({ docker: undefined });
    try {
      const client = new ControlClient(stateDir);
      const code = (p: Promise<unknown>) =>
        p.then(
          () => 'ok',
          (e: unknown) => (isUserError(e) ? `${e.code}: ${e.message}` : String(e)),
        );
      assert.match(
        await code(client.call(PutLanShare, { params: { host: 'app.localhost' }, body: {} })),
        /^ELANOFF: LAN sharing is off/,
      );
      assert.match(await code(client.call(PostCaShare, { body: {} })), /^ELANOFF: .*--lan-interface/);
      assert.equal(daemon.status().lan?.enabled, false);
      assert.equal(daemon.status().lan?.listening, false);
    } finally {
      await daemon.close();
    }
  });

  test('with --bind 0.0.0.0 sharing is off too (the gate could not tell LAN clients apart)', async () => {
    // LanService alone: no daemon listens on the machine's addresses for this.
    const { ca } = await LocalCa.loadOrCreate(path.join(tempDir(), 'ca'));
    const lan = new LanService({
      file: path.join(tempDir(), 'lan.json'),
      interfaceChoice: 'auto',
      bind: '0.0.0.0',
      ca: { certPem: ca.certPem, fingerprint256: () => ca.fingerprint256(), permittedSuffixes: ca.permittedSuffixes },
      routeOf: () => undefined,
      issueCert: () => Promise.resolve(),
      syncWorkers: () => Promise.resolve(),
      accept: (socket) => socket.destroy(),
      httpsPort: () => 8443,
      httpPort: () => 8080,
      changed: () => undefined,
      log: () => undefined,
    });
    await assert.rejects(lan.share('app.localhost', {}), /--bind 0\.0\.0\.0 already listens beyond loopback/);
    assert.equal(lan.gate.admit('192.168.1.7', 'app.local'), undefined);
    await lan.close();
  });
});

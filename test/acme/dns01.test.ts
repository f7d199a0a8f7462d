import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startEchoBackend } from '../support/backends';
import { startDaemon } from '../support/daemon';
import { serviceMissing, tempDir } from '../support/env';
import { httpsGet } from '../support/https';
import { Pebble, startPebble } from './pebble';

const skip = serviceMissing('pebble');

describe('ACME DNS-01 through a user hook command (lego exec style), validated by Pebble', { skip }, () => {
  let pebble: Pebble;
  let backend: Awaited<ReturnType<typeof startEchoBackend>>;
  let zoneDir: string;
  let hook: string;

  before(async () => {
    pebble = await startPebble();
    backend = await startEchoBackend('dns-backend');
    // The "DNS provider": a directory our test DNS server answers TXT queries from.
    zoneDir = tempDir('chs-zone-');
    pebble.dns.txtDir = zoneDir;
    hook = path.join(zoneDir, '..', `${path.basename(zoneDir)}-hook.sh`);
    fs.writeFileSync(
      hook,
      `#!/bin/sh\n# $1 = present|cleanup, $2 = _acme-challenge.NAME. , $3 = TXT value\nname=$(echo "$2" | sed 's/\\.$//')\necho "$1 $2 $3" >> "${zoneDir}.log"\ncase "$1" in\n  present) echo "$3" > "${zoneDir}/$name" ;;\n  cleanup) rm -f "${zoneDir}/$name" ;;\n  *) echo "unknown action $1" >&2; exit 2 ;;\nesac\n`,
      { mode: 0o755 },
    );
  });
  after(async () => {
    await backend?.close();
    await pebble?.stop();
    fs.rmSync(zoneDir, { recursive: true, force: true });
    fs.rmSync(hook, { force: true });
    fs.rmSync(`${zoneDir}.log`, { force: true });
  });

  test('the hook publishes the TXT record, Pebble checks it, the hook removes it again', async () => {
    const { daemon } = await startDaemon({
      httpsPort: pebble.tlsPort,
      httpPort: pebble.httpPort,
      acme: {
        directory: pebble.directoryUrl,
        caFile: pebble.trustFile,
        agreeTos: true,
        challenge: 'dns-01',
        dnsHook: hook,
      },
    });
    try {
      const host = 'internal-only.example.com';
      await daemon.routes.expose(host, { target: backend.url, tls: 'acme' });
      const calls = fs.readFileSync(`${zoneDir}.log`, 'utf8').trim().split('\n');
      assert.match(
        calls[0],
        new RegExp(`^present _acme-challenge\\.${host.replace(/\./g, '\\.')}\\. [A-Za-z0-9_-]{43}$`),
      );
      assert.match(calls[calls.length - 1], /^cleanup /);
      assert.ok(
        pebble.dns.queries.some((q) => q.type === 16 && q.name.toLowerCase() === `_acme-challenge.${host}`),
        'Pebble looked the TXT record up',
      );
      assert.deepEqual(fs.readdirSync(zoneDir), [], 'cleaned up');
      const res = await httpsGet({ host, port: pebble.tlsPort, ca: pebble.rootPem });
      assert.equal(res.status, 200);
    } finally {
      await daemon.close();
    }
  });

  test('a failing hook: its exit status and last line reach the user', async () => {
    const failing = `${hook}.fail.sh`;
    fs.writeFileSync(failing, '#!/bin/sh\necho "zone example.com: API token rejected" >&2\nexit 3\n', { mode: 0o755 });
    const { daemon } = await startDaemon({
      httpsPort: pebble.tlsPort,
      httpPort: pebble.httpPort,
      acme: {
        directory: pebble.directoryUrl,
        caFile: pebble.trustFile,
        agreeTos: true,
        challenge: 'dns-01',
        dnsHook: failing,
      },
    });
    try {
      await assert.rejects(
        daemon.routes.expose('hookfail.example.com', { target: backend.url, tls: 'acme' }),
        /DNS hook .* exited with 3: zone example\.com: API token rejected/,
      );
    } finally {
      await daemon.close();
      fs.rmSync(failing, { force: true });
    }
  });
});

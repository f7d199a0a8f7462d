import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProbeResult } from '../../proxy-core/src/ports/portProbe';
import { PortsWatch } from '../../proxy-core/src/ports/portsWatch';
import type { PortsStatus } from '../../proxy-core/src/ports/types';

// The probe is swapped for a scripted one (the real TLS probe and /proc lookup are exercised in
// standardPorts.test.ts and portHolder.test.ts); this tests the decisions and the events.
function watch(results: ProbeResult[], ownPort = 8443) {
  let probes = 0;
  const lines: string[] = [];
  const w = new PortsWatch({
    ownPort: () => ownPort,
    caPem: '',
    servername: 'localhost',
    probe: async () => {
      probes++;
      await new Promise((r) => setTimeout(r, 5));
      return results.shift() ?? { kind: 'nothing', detail: 'nothing listens on 127.0.0.1:443' };
    },
    holder: () => ({ address: '0.0.0.0:443', uid: 33, user: 'www-data', pid: 812, command: 'nginx' }),
    log: (l) => lines.push(l),
  });
  const events: PortsStatus[] = [];
  w.on('changed', (s: PortsStatus) => events.push(s));
  return { w, events, lines, probes: () => probes };
}

describe('PortsWatch (scripted probe: which port URLs carry)', () => {
  test('own port until a probe meets our certificate on 443; back when it no longer does; one event per change', async () => {
    const { w, events } = watch([
      { kind: 'nothing', detail: '' },
      { kind: 'ours' },
      { kind: 'ours' },
      { kind: 'nothing', detail: '' },
    ]);
    assert.equal(w.publicHttpsPort(), 8443);
    assert.equal((await w.check()).mode, 'own-port');
    assert.equal((await w.check()).mode, 'standard');
    assert.equal(w.publicHttpsPort(), 443);
    await w.check(); // unchanged: no event
    assert.equal((await w.check()).publicHttpsPort, 8443);
    assert.deepEqual(
      events.map((e) => [e.mode, e.publicHttpsPort]),
      [
        ['own-port', 8443],
        ['standard', 443],
        ['own-port', 8443],
      ],
    );
  });

  test('concurrent asks share one probe (no probe storm when several clients ask at once)', async () => {
    const { w, probes } = watch([{ kind: 'ours' }]);
    const all = await Promise.all([w.check(), w.check(), w.check(), w.check()]);
    assert.equal(probes(), 1);
    assert.ok(all.every((s) => s.mode === 'standard'));
  });

  test('something else on 443: held, named, said once in the log, URLs stay on the own port', async () => {
    const other: ProbeResult = {
      kind: 'other',
      detail: "127.0.0.1:443 answers with a certificate that is not from this proxy's CA",
    };
    const { w, lines } = watch([other, other]);
    const s = await w.check();
    await w.check();
    assert.equal(s.mode, 'held');
    assert.equal(s.publicHttpsPort, 8443);
    if (process.platform === 'linux') {
      assert.deepEqual(s.holder, { address: '0.0.0.0:443', uid: 33, user: 'www-data', pid: 812, command: 'nginx' });
      assert.match(
        s.detail,
        /^port 443 is held by nginx \(pid 812, user www-data\) on 0\.0\.0\.0:443 .*this proxy stays on :8443/,
      );
    }
    assert.equal(lines.length, 1, lines.join('\n'));
  });

  test('a daemon on 443 itself needs no probe', async () => {
    const { w, probes } = watch([], 443);
    assert.equal((await w.check()).mode, 'standard');
    assert.equal(probes(), 0);
  });
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isTrusted } from '../../proxy-core/src/trust/caStatus';
import { caNames, type TrustStep } from '../../proxy-core/src/trust/trustPlan';
import { readTrustRecord, writeTrustRecord, type TrustRecord } from '../../proxy-core/src/trust/trustRecord';
import { runPlan } from '../../proxy-core/src/trust/trustRunner';
import { tempDir } from '../support/env';

const FP = 'AB:CD:EF:01:23:45:67:89';
const names = caNames(FP, '12:34');

describe('ca/trust.json', () => {
  test('round trip; a record of another CA is ignored with a note', () => {
    const dir = tempDir('chs-ca-');
    const record: TrustRecord = {
      version: 1,
      caFingerprint256: FP,
      added: [
        {
          id: 'x',
          label: 'x',
          at: '2026-01-01T00:00:00Z',
          target: { kind: 'nss', store: 'nss', dir: '/h/.pki/nssdb', format: 'sql', owner: 'Chrome/Chromium' },
        },
      ],
    };
    writeTrustRecord(dir, record);
    const back = readTrustRecord(dir, FP, names).record;
    assert.equal(back.added.length, 1);
    assert.equal(back.added[0].id, 'nss:/h/.pki/nssdb', 'ids are recomputed from the target');
    const other = readTrustRecord(dir, 'FF:FF', names);
    assert.deepEqual(other.record.added, []);
    assert.match(other.problem ?? '', /earlier CA/);
  });

  test('an edited record cannot make untrust (which may use sudo) delete other files', () => {
    const dir = tempDir('chs-ca-');
    fs.writeFileSync(
      path.join(dir, 'trust.json'),
      JSON.stringify({
        version: 1,
        caFingerprint256: FP,
        added: [
          {
            id: 'a',
            label: 'a',
            at: '',
            target: { kind: 'system', store: 'linux', family: 'debian', file: '/etc/passwd' },
          },
          {
            id: 'b',
            label: 'b',
            at: '',
            target: { kind: 'java', store: 'java', keytool: '/tmp/evil', keystore: '/x', admin: true },
          },
          {
            id: 'c',
            label: 'c',
            at: '',
            target: {
              kind: 'system',
              store: 'linux',
              family: 'debian',
              file: `/usr/local/share/ca-certificates/${names.fileStem}.crt`,
            },
          },
        ],
      }),
    );
    assert.deepEqual(
      readTrustRecord(dir, FP, names).record.added.map((a) => a.id),
      [`system:/usr/local/share/ca-certificates/${names.fileStem}.crt`],
    );
  });

  test('corrupt JSON: ignored with a note, never a crash', () => {
    const dir = tempDir('chs-ca-');
    fs.writeFileSync(path.join(dir, 'trust.json'), '{nope');
    assert.match(readTrustRecord(dir, FP, names).problem ?? '', /not valid JSON/);
  });

  test('"trusted" means: trusted somewhere and not untrusted in any store ca trust added', () => {
    const base: TrustRecord = {
      version: 1,
      caFingerprint256: FP,
      added: [
        { id: 'nss:/a', label: '', at: '', target: { kind: 'nss', store: 'nss', dir: '/a', format: 'sql', owner: '' } },
      ],
    };
    const check = (stores: Array<[string, 'trusted' | 'not-trusted' | 'unknown']>) => ({
      at: '',
      caFingerprint256: FP,
      stores: stores.map(([id, result]) => ({ id, kind: 'nss' as const, label: id, result, detail: '' })),
    });
    assert.equal(isTrusted(base, FP), false, 'never checked');
    assert.equal(
      isTrusted(
        {
          ...base,
          lastCheck: check([
            ['system', 'not-trusted'],
            ['nss:/a', 'trusted'],
          ]),
        },
        FP,
      ),
      true,
    );
    assert.equal(
      isTrusted(
        {
          ...base,
          lastCheck: check([
            ['system', 'trusted'],
            ['nss:/a', 'not-trusted'],
          ]),
        },
        FP,
      ),
      false,
    );
    assert.equal(
      isTrusted({ ...base, lastCheck: check([['system', 'trusted']]) }, 'OTHER'),
      false,
      'a check of another CA does not count',
    );
  });
});

describe('running a plan', () => {
  const step = (argv: string[], admin: boolean): TrustStep => ({ argv, admin });
  const targets = [
    {
      id: 'sys',
      label: 'system store',
      target: { kind: 'system' as const, store: 'linux' as const, family: 'debian' as const, file: '/f' },
      steps: [step(['install', 'a', '/f'], true), step(['update-ca-certificates'], true)],
    },
    {
      id: 'nss',
      label: 'NSS',
      target: { kind: 'nss' as const, store: 'nss' as const, dir: '/d', format: 'sql' as const, owner: '' },
      steps: [step(['certutil', '-A'], false)],
    },
  ];

  test('admin steps run with a visible sudo, with the terminal handed to sudo for the password', () => {
    const ran: Array<[string, boolean]> = [];
    const echoed: string[] = [];
    const out = runPlan(targets, {
      platform: { os: 'linux', isRoot: false },
      interactive: true,
      echo: (l) => echoed.push(l),
      exec: (argv, _s, inherit) => (ran.push([argv.join(' '), inherit]), { code: 0, output: '' }),
    });
    assert.deepEqual(ran, [
      ['sudo install a /f', true],
      ['sudo update-ca-certificates', true],
      ['certutil -A', false],
    ]);
    assert.deepEqual(echoed, ['$ sudo install a /f', '$ sudo update-ca-certificates', '$ certutil -A']);
    assert.ok(out.every((o) => o.ok));
  });

  test('without a terminal, admin steps are not run (never elevated silently) but listed; others still run', () => {
    const ran: string[] = [];
    const out = runPlan(targets, {
      platform: { os: 'linux', isRoot: false },
      interactive: false,
      echo: () => undefined,
      exec: (argv) => (ran.push(argv.join(' ')), { code: 0, output: '' }),
    });
    assert.deepEqual(ran, ['certutil -A']);
    assert.deepEqual(out[0].needsAdmin, ['sudo install a /f', 'sudo update-ca-certificates']);
    assert.equal(out[1].ok, true);
  });

  test('a failing step stops its target with the command and the tool’s last line', () => {
    const out = runPlan(targets, {
      platform: { os: 'linux', isRoot: true },
      interactive: false,
      echo: () => undefined,
      exec: (argv) =>
        argv[0] === 'install' ? { code: 1, output: 'install: cannot create regular file\n' } : { code: 0, output: '' },
    });
    assert.equal(out[0].ok, false);
    assert.equal(out[0].error, 'install a /f failed (exit 1): install: cannot create regular file');
    assert.equal(out[1].ok, true);
  });
});

// Checks for stores that cannot exist here (macOS keychain, Windows, WSL) use each OS's own
// tool; these tests pin the commands and how their answers are read, with a fake runner
// (mocked: those tools cannot run on this Linux machine).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalCa } from '../../proxy-core/src/certs/localCa';
import { namesOf } from '../../proxy-core/src/trust/caStatus';
import type { PlatformInfo } from '../../proxy-core/src/trust/platform';
import { checkAll, checkSystemStore, checkTarget, type RunResult } from '../../proxy-core/src/trust/trustCheck';
import { tempDir } from '../support/env';

const platform: PlatformInfo = {
  os: 'linux',
  distroIds: ['debian'],
  family: 'debian',
  wsl: false,
  home: '/h',
  isRoot: false,
  tools: {},
};

async function setup() {
  const { ca } = await LocalCa.loadOrCreate(tempDir('chs-ca-'));
  const { ca: other } = await LocalCa.loadOrCreate(tempDir('chs-ca-'));
  return { ca, other, names: namesOf(ca) };
}

function fakeRun(answers: (argv: string[]) => RunResult) {
  const calls: string[][] = [];
  return { calls, run: async (argv: string[]) => (calls.push(argv), answers(argv)) };
}

describe('per-store checks (mocked tools)', () => {
  test('NSS: our certificate (byte for byte) with C in the SSL trust flags', async () => {
    const { ca, other, names } = await setup();
    const target = {
      kind: 'nss' as const,
      store: 'nss' as const,
      dir: '/h/.pki/nssdb',
      format: 'sql' as const,
      owner: 'Chrome/Chromium',
    };
    const answer = (pem: string, flags: string) => (argv: string[]) =>
      argv.includes('-a')
        ? { code: 0, stdout: pem, stderr: '' }
        : {
            code: 0,
            stdout: `\nCertificate Nickname    Trust Attributes\n\n${names.nickname}                   ${flags}\n`,
            stderr: '',
          };
    const ctx = { caPem: ca.certPem, caFile: ca.files.certFile, names, platform };

    const ok = fakeRun(answer(ca.certPem, 'C,,'));
    const r = await checkTarget(target, { ...ctx, run: ok.run });
    assert.equal(r.result, 'trusted');
    assert.deepEqual(ok.calls[0], ['certutil', '-L', '-d', 'sql:/h/.pki/nssdb', '-n', names.nickname, '-a']);
    assert.equal(
      (await checkTarget(target, { ...ctx, run: fakeRun(answer(ca.certPem, ',,')).run })).result,
      'not-trusted',
    );
    const impostor = await checkTarget(target, { ...ctx, run: fakeRun(answer(other.certPem, 'C,,')).run });
    assert.equal(impostor.result, 'not-trusted');
    assert.match(impostor.detail, /is a different certificate/);
    const missing = await checkTarget(target, {
      ...ctx,
      run: fakeRun(() => ({ code: 255, stdout: '', stderr: 'certutil: Could not find cert: x\n' })).run,
    });
    assert.equal(missing.result, 'not-trusted');
    const noTool = await checkTarget(target, {
      ...ctx,
      run: fakeRun(() => ({ code: -1, stdout: '', stderr: 'spawn certutil ENOENT' })).run,
    });
    assert.equal(noTool.result, 'unknown');
  });

  test('Windows: certutil -user -verifystore Root <thumbprint>', async () => {
    const { ca, names } = await setup();
    const f = fakeRun(() => ({ code: 0, stdout: '', stderr: '' }));
    const r = await checkTarget(
      { kind: 'system', store: 'windows' },
      { caPem: ca.certPem, caFile: ca.files.certFile, names, platform: { ...platform, os: 'win32' }, run: f.run },
    );
    assert.deepEqual(f.calls, [['certutil', '-user', '-verifystore', 'Root', names.sha1]]);
    assert.equal(r.result, 'trusted');
  });

  test('WSL: Test-Path on the Windows side; True/False read as trusted/not trusted', async () => {
    const { ca, names } = await setup();
    const target = {
      kind: 'system' as const,
      store: 'wsl-windows' as const,
      windowsFile: 'C:\\x.pem',
      via: 'certutil.exe' as const,
    };
    const ctx = { caPem: ca.certPem, caFile: ca.files.certFile, names, platform: { ...platform, wsl: true } };
    const t = fakeRun(() => ({ code: 0, stdout: 'True\r\n', stderr: '' }));
    assert.equal((await checkTarget(target, { ...ctx, run: t.run })).result, 'trusted');
    assert.deepEqual(t.calls[0], [
      'powershell.exe',
      '-NoProfile',
      '-NonInteractive',
      '-Command',
      `Test-Path Cert:\\CurrentUser\\Root\\${names.sha1}`,
    ]);
    assert.equal(
      (await checkTarget(target, { ...ctx, run: fakeRun(() => ({ code: 0, stdout: 'False\r\n', stderr: '' })).run }))
        .result,
      'not-trusted',
    );
    assert.equal(
      (await checkTarget(target, { ...ctx, run: fakeRun(() => ({ code: -1, stdout: '', stderr: 'no interop' })).run }))
        .result,
      'unknown',
    );
  });

  test('macOS: security verify-cert on the CA file', async () => {
    const { ca, names } = await setup();
    const f = fakeRun(() => ({ code: 1, stdout: '', stderr: 'Cert Verify Result: CSSMERR_TP_NOT_TRUSTED\n' }));
    const r = await checkTarget(
      {
        kind: 'system',
        store: 'macos',
        keychain: 'login',
        keychainFile: '/Users/a/Library/Keychains/login.keychain-db',
      },
      { caPem: ca.certPem, caFile: ca.files.certFile, names, platform: { ...platform, os: 'darwin' }, run: f.run },
    );
    assert.deepEqual(f.calls[0], ['security', 'verify-cert', '-c', ca.files.certFile, '-p', 'basic']);
    assert.equal(r.result, 'not-trusted');
    assert.match(r.detail, /CSSMERR_TP_NOT_TRUSTED/);
  });

  test('system store without an endpoint: could not check (never a guess)', async () => {
    const { ca, names } = await setup();
    const r = await checkSystemStore({ caPem: ca.certPem, caFile: ca.files.certFile, names, platform });
    assert.equal(r.result, 'unknown');
  });

  test('a Linux system-store target is reported once, by the TLS check', async () => {
    const { ca, names } = await setup();
    const stores = await checkAll(
      [{ kind: 'system', store: 'linux', family: 'debian', file: '/usr/local/share/ca-certificates/x.crt' }],
      { caPem: ca.certPem, caFile: ca.files.certFile, names, platform },
    );
    assert.deepEqual(
      stores.map((s) => [s.id, s.result]),
      [['system:/usr/local/share/ca-certificates/x.crt', 'unknown']],
    );
  });
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findNssDbs, firefoxProfileRoots, nssDbAt } from '../../proxy-core/src/trust/nssDbs';
import { isWsl, linuxFamily, parseOsRelease } from '../../proxy-core/src/trust/platform';
import { tempDir } from '../support/env';

describe('platform detection', () => {
  test('os-release: quoted and unquoted values, ID_LIKE', () => {
    const r = parseOsRelease('NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\nPRETTY_NAME="Ubuntu 24.04 LTS"\n# comment\n');
    assert.deepEqual(r, { NAME: 'Ubuntu', ID: 'ubuntu', ID_LIKE: 'debian', PRETTY_NAME: 'Ubuntu 24.04 LTS' });
  });

  const families: Array<[string[], string]> = [
    [['debian'], 'debian'],
    [['ubuntu', 'debian'], 'debian'],
    [['fedora'], 'fedora'],
    [['rocky', 'rhel', 'centos', 'fedora'], 'fedora'],
    [['arch'], 'arch'],
    [['manjaro', 'arch'], 'arch'],
    [['opensuse-tumbleweed', 'opensuse', 'suse'], 'suse'],
    [['alpine'], 'unknown'],
  ];
  for (const [ids, family] of families)
    test(`${ids.join(' ')} → ${family}`, () => assert.equal(linuxFamily(ids), family));

  test('WSL from /proc/version or the environment', () => {
    assert.equal(isWsl('Linux version 5.15.153.1-microsoft-standard-WSL2 (root@1234)', {}), true);
    assert.equal(isWsl('Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org)', {}), false);
    assert.equal(isWsl(undefined, { WSL_DISTRO_NAME: 'Ubuntu' }), true);
  });
});

describe('NSS database discovery', () => {
  test('Chrome, snap Chromium and Firefox profiles (deb, snap, flatpak), sql and dbm; nothing else', () => {
    const home = tempDir('chs-nsshome-');
    const mk = (rel: string, file: string) => {
      fs.mkdirSync(path.join(home, rel), { recursive: true });
      fs.writeFileSync(path.join(home, rel, file), '');
    };
    mk('.pki/nssdb', 'cert9.db');
    mk('snap/chromium/current/.pki/nssdb', 'cert9.db');
    mk('.mozilla/firefox/a1.default-release', 'cert9.db');
    mk('.mozilla/firefox/b2.old', 'cert8.db');
    mk('.mozilla/firefox/Crash Reports', 'events');
    mk('snap/firefox/common/.mozilla/firefox/c3.default', 'cert9.db');
    mk('.var/app/org.mozilla.firefox/.mozilla/firefox/d4.default', 'cert9.db');
    const found = findNssDbs({ os: 'linux', home }).map((d) => [path.relative(home, d.dir), d.format, d.owner]);
    assert.deepEqual(found, [
      ['.pki/nssdb', 'sql', 'Chrome/Chromium'],
      ['snap/chromium/current/.pki/nssdb', 'sql', 'Chromium (snap)'],
      ['.mozilla/firefox/a1.default-release', 'sql', 'Firefox profile a1.default-release'],
      ['.mozilla/firefox/b2.old', 'dbm', 'Firefox profile b2.old'],
      ['snap/firefox/common/.mozilla/firefox/c3.default', 'sql', 'Firefox profile c3.default'],
      ['.var/app/org.mozilla.firefox/.mozilla/firefox/d4.default', 'sql', 'Firefox profile d4.default'],
    ]);
    fs.rmSync(home, { recursive: true, force: true });
  });

  test('Chrome/Chromium installed but never started: ~/.pki/nssdb is planned for creation', () => {
    const home = tempDir('chs-nsshome-');
    assert.deepEqual(findNssDbs({ os: 'linux', home, tools: { chromium: true } }), [
      { dir: path.join(home, '.pki', 'nssdb'), owner: 'Chrome/Chromium', format: 'sql', create: true },
    ]);
    assert.deepEqual(findNssDbs({ os: 'linux', home, tools: {} }), [], 'no Chrome-family browser: nothing to create');
  });

  test('Firefox profile roots on macOS and Windows', () => {
    assert.deepEqual(firefoxProfileRoots({ os: 'darwin', home: '/Users/ann' }), [
      '/Users/ann/Library/Application Support/Firefox/Profiles',
    ]);
    assert.deepEqual(
      firefoxProfileRoots({ os: 'win32', home: 'C:\\Users\\ann' }, { APPDATA: 'C:\\Users\\ann\\AppData\\Roaming' }),
      [path.join('C:\\Users\\ann\\AppData\\Roaming', 'Mozilla', 'Firefox', 'Profiles')],
    );
  });

  test('--nss-db accepts sql:DIR and a plain DIR', () => {
    assert.equal(nssDbAt('sql:/tmp/x').dir, '/tmp/x');
    assert.equal(nssDbAt('/tmp/x').format, 'sql');
  });
});

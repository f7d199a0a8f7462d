// The plans for stores that cannot run on this machine (macOS, Windows, WSL, Fedora, Arch,
// openSUSE, Java) are pure data: these tests pin the exact commands, both ways.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PlatformInfo } from '../../proxy-core/src/trust/platform';
import {
  caNames,
  certutilInstallCommand,
  formatStep,
  javaKeystoreOf,
  planTrust,
  planUntrust,
  type PlanInput,
  type TrustPlan,
} from '../../proxy-core/src/trust/trustPlan';

const names = caNames(
  'AB:CD:EF:01:23:45:67:89:AA:BB:CC:DD:EE:FF',
  '12:34:56:78:9a:bc:de:f0:12:34:56:78:9a:bc:de:f0:12:34:56:78',
);
const CA = '/home/ann/.local/state/container-https/ca/root.pem';
const ALL = { system: true, nss: true, java: true };

function platform(over: Partial<PlatformInfo>): PlatformInfo {
  return {
    os: 'linux',
    distroIds: ['debian'],
    family: 'debian',
    wsl: false,
    home: '/home/ann',
    isRoot: false,
    tools: {},
    ...over,
  };
}

function input(over: Partial<PlanInput> & { platform: PlatformInfo }): PlanInput {
  return { caFile: CA, names, select: ALL, nssDbs: [], ...over };
}

/** Every command of a plan as the user sees it, target by target. */
function commands(plan: TrustPlan, p: PlatformInfo): string[][] {
  return plan.targets.map((t) => t.steps.map((s) => formatStep(s, p)));
}

describe('names derived from the CA', () => {
  test('nickname, file stem and SHA-1 thumbprint', () => {
    assert.deepEqual(names, {
      nickname: 'container-https-local-ca-abcdef012345',
      fileStem: 'container-https-abcdef012345',
      sha1: '123456789ABCDEF0123456789ABCDEF012345678',
    });
  });
});

describe('Linux system stores', () => {
  const cases: Array<[PlatformInfo['family'], string, string[]]> = [
    [
      'debian',
      'update-ca-certificates',
      [
        'sudo install -m 0644 ' + CA + ' /usr/local/share/ca-certificates/container-https-abcdef012345.crt',
        'sudo update-ca-certificates',
      ],
    ],
    [
      'fedora',
      'update-ca-trust',
      [
        'sudo install -m 0644 ' + CA + ' /etc/pki/ca-trust/source/anchors/container-https-abcdef012345.pem',
        'sudo update-ca-trust extract',
      ],
    ],
    [
      'arch',
      'trust',
      [
        'sudo install -m 0644 ' + CA + ' /etc/ca-certificates/trust-source/anchors/container-https-abcdef012345.crt',
        'sudo trust extract-compat',
      ],
    ],
    [
      'suse',
      'update-ca-certificates',
      [
        'sudo install -m 0644 ' + CA + ' /etc/pki/trust/anchors/container-https-abcdef012345.pem',
        'sudo update-ca-certificates',
      ],
    ],
  ];
  for (const [family, tool, expected] of cases) {
    test(`${family}: trust and the exact inverse`, () => {
      const p = platform({ family, tools: { [tool]: true } });
      const plan = planTrust(input({ platform: p, select: { system: true, nss: false, java: false } }));
      assert.deepEqual(commands(plan, p), [expected]);
      assert.ok(
        plan.targets[0].steps.every((s) => s.admin),
        'system store steps need admin rights',
      );
      const file = expected[0].split(' ').pop();
      const undo = planUntrust(
        plan.targets.map((t) => t.target),
        { caFile: CA, names },
      );
      assert.deepEqual(commands(undo, p), [[`sudo rm -f ${file}`, expected[1]]]);
    });
  }

  test('as root no sudo is shown or used', () => {
    const p = platform({ isRoot: true, tools: { 'update-ca-certificates': true } });
    const plan = planTrust(input({ platform: p, select: { system: true, nss: false, java: false } }));
    assert.deepEqual(commands(plan, p), [
      [
        `install -m 0644 ${CA} /usr/local/share/ca-certificates/container-https-abcdef012345.crt`,
        'update-ca-certificates',
      ],
    ]);
  });

  test('missing tool: skipped with the exact install command', () => {
    const p = platform({ family: 'fedora', tools: {} });
    const plan = planTrust(input({ platform: p, select: { system: true, nss: false, java: false } }));
    assert.equal(plan.targets.length, 0);
    assert.deepEqual(plan.skipped, [
      {
        kind: 'system',
        label: 'system store',
        reason: 'update-ca-trust is not installed',
        fix: 'sudo dnf install -y ca-certificates',
      },
    ]);
  });

  test('unknown distribution: the family comes from the tools it has', () => {
    const p = platform({ family: 'unknown', distroIds: ['somelinux'], tools: { 'update-ca-trust': true } });
    const plan = planTrust(input({ platform: p, select: { system: true, nss: false, java: false } }));
    assert.match(commands(plan, p)[0][0], /\/etc\/pki\/ca-trust\/source\/anchors\//);
    const none = planTrust(
      input({
        platform: platform({ family: 'unknown', distroName: 'Some Linux' }),
        select: { system: true, nss: false, java: false },
      }),
    );
    assert.match(
      none.skipped[0].reason,
      /^Some Linux has none of update-ca-certificates, update-ca-trust or trust: add .*root\.pem to its trust store by hand$/,
    );
  });
});

describe('NSS databases (Chrome/Chromium, snap Chromium, Firefox profiles)', () => {
  const dbs = [
    { dir: '/home/ann/.pki/nssdb', owner: 'Chrome/Chromium', format: 'sql' as const },
    {
      dir: '/home/ann/snap/firefox/common/.mozilla/firefox/abc.default',
      owner: 'Firefox profile abc.default',
      format: 'sql' as const,
    },
    { dir: '/home/ann/.mozilla/firefox/old.default', owner: 'Firefox profile old.default', format: 'dbm' as const },
  ];

  test('certutil -A -t C,, into every database, certutil -D to undo; no admin rights', () => {
    const p = platform({ tools: { certutil: true } });
    const plan = planTrust(input({ platform: p, select: { system: false, nss: true, java: false }, nssDbs: dbs }));
    assert.deepEqual(commands(plan, p), [
      [`certutil -A -d sql:/home/ann/.pki/nssdb -t C,, -n container-https-local-ca-abcdef012345 -i ${CA}`],
      [
        `certutil -A -d sql:/home/ann/snap/firefox/common/.mozilla/firefox/abc.default -t C,, -n container-https-local-ca-abcdef012345 -i ${CA}`,
      ],
      [
        `certutil -A -d dbm:/home/ann/.mozilla/firefox/old.default -t C,, -n container-https-local-ca-abcdef012345 -i ${CA}`,
      ],
    ]);
    assert.ok(plan.targets.every((t) => t.steps.every((s) => !s.admin)));
    const undo = planUntrust(
      plan.targets.map((t) => t.target),
      { caFile: CA, names },
    );
    assert.deepEqual(commands(undo, p)[0], [
      'certutil -D -d sql:/home/ann/.pki/nssdb -n container-https-local-ca-abcdef012345',
    ]);
  });

  const installs: Array<[PlatformInfo['family'], PlatformInfo['os'], string | undefined]> = [
    ['debian', 'linux', 'sudo apt-get install -y libnss3-tools'],
    ['fedora', 'linux', 'sudo dnf install -y nss-tools'],
    ['arch', 'linux', 'sudo pacman -S --noconfirm nss'],
    ['suse', 'linux', 'sudo zypper install -y mozilla-nss-tools'],
    ['unknown', 'darwin', 'brew install nss'],
  ];
  for (const [family, os, fix] of installs) {
    test(`certutil missing on ${os === 'darwin' ? 'macOS' : family}: "${fix}"`, () => {
      assert.equal(certutilInstallCommand({ os, family }), fix);
      const plan = planTrust(
        input({
          platform: platform({ os, family, tools: {} }),
          select: { system: false, nss: true, java: false },
          nssDbs: dbs,
        }),
      );
      assert.equal(plan.targets.length, 0);
      assert.equal(plan.skipped[0].reason, 'certutil is not installed');
      assert.equal(plan.skipped[0].fix, fix);
    });
  }

  test('no database at all: says why and when to run again', () => {
    const plan = planTrust(
      input({ platform: platform({ tools: { certutil: true } }), select: { system: false, nss: true, java: false } }),
    );
    assert.match(plan.skipped[0].reason, /no NSS database found/);
  });

  test('Windows: Firefox uses the Windows Root store (enterprise roots), no NSS certutil', () => {
    const plan = planTrust(
      input({
        platform: platform({ os: 'win32', family: 'unknown', tools: { certutil: true } }),
        select: { system: false, nss: true, java: false },
        nssDbs: dbs,
      }),
    );
    assert.equal(plan.targets.length, 0);
    assert.match(plan.skipped[0].reason, /security\.enterprise_roots\.enabled/);
  });
});

describe('macOS', () => {
  test('login keychain for a normal user, and its exact inverse', () => {
    const p = platform({ os: 'darwin', family: 'unknown', home: '/Users/ann', tools: { security: true } });
    const plan = planTrust(input({ platform: p, select: { system: true, nss: false, java: false } }));
    assert.deepEqual(commands(plan, p), [
      [`security add-trusted-cert -r trustRoot -k /Users/ann/Library/Keychains/login.keychain-db ${CA}`],
    ]);
    assert.equal(plan.targets[0].label, 'macOS login keychain');
    const undo = planUntrust(
      plan.targets.map((t) => t.target),
      { caFile: CA, names },
    );
    assert.deepEqual(commands(undo, p), [
      [
        `security remove-trusted-cert ${CA}`,
        'security delete-certificate -Z 123456789ABCDEF0123456789ABCDEF012345678 /Users/ann/Library/Keychains/login.keychain-db',
      ],
    ]);
  });

  test('system keychain with admin rights (-d, admin domain)', () => {
    const p = platform({ os: 'darwin', family: 'unknown', home: '/var/root', isRoot: true, tools: { security: true } });
    const plan = planTrust(input({ platform: p, select: { system: true, nss: false, java: false } }));
    assert.deepEqual(commands(plan, p), [
      [`security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain ${CA}`],
    ]);
    assert.equal(plan.targets[0].steps[0].admin, true);
    // Shown with sudo to a user who is not root.
    assert.equal(
      formatStep(plan.targets[0].steps[0], { os: 'darwin', isRoot: false }),
      `sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain ${CA}`,
    );
    const undo = planUntrust(
      plan.targets.map((t) => t.target),
      { caFile: CA, names },
    );
    assert.deepEqual(commands(undo, p), [
      [
        `security remove-trusted-cert -d ${CA}`,
        'security delete-certificate -Z 123456789ABCDEF0123456789ABCDEF012345678 /Library/Keychains/System.keychain',
      ],
    ]);
  });
});

describe('Windows', () => {
  test('current user Root store with certutil -user, removed by thumbprint; never admin', () => {
    const p = platform({ os: 'win32', family: 'unknown', home: 'C:\\Users\\Ann', tools: { certutil: true } });
    const caFile = 'C:\\Users\\Ann\\AppData\\Local\\container-https\\ca\\root.pem';
    const plan = planTrust({
      platform: p,
      caFile,
      names,
      select: { system: true, nss: false, java: false },
      nssDbs: [],
    });
    assert.deepEqual(commands(plan, p), [[`certutil -user -addstore Root ${caFile}`]]);
    assert.equal(plan.targets[0].steps[0].admin, false);
    const undo = planUntrust(
      plan.targets.map((t) => t.target),
      { caFile, names },
    );
    assert.deepEqual(commands(undo, p), [['certutil -user -delstore Root 123456789ABCDEF0123456789ABCDEF012345678']]);
  });

  test('paths with spaces are quoted the Windows way', () => {
    const p = platform({ os: 'win32', family: 'unknown', tools: {} });
    const caFile = 'C:\\Users\\Ann Lee\\AppData\\Local\\container-https\\ca\\root.pem';
    const plan = planTrust({
      platform: p,
      caFile,
      names,
      select: { system: true, nss: false, java: false },
      nssDbs: [],
    });
    assert.deepEqual(commands(plan, p), [[`certutil -user -addstore Root "${caFile}"`]]);
  });
});

describe('WSL: the browser runs on Windows', () => {
  const win = '\\\\wsl.localhost\\Ubuntu\\home\\ann\\.local\\state\\container-https\\ca\\root.pem';

  test('Linux system store and the Windows user Root store via certutil.exe with a wslpath-converted file', () => {
    const p = platform({
      family: 'debian',
      distroIds: ['ubuntu', 'debian'],
      wsl: true,
      tools: { 'update-ca-certificates': true, 'certutil.exe': true, 'powershell.exe': true },
    });
    const plan = planTrust(
      input({ platform: p, select: { system: true, nss: false, java: false }, wslWindowsCaFile: win }),
    );
    assert.deepEqual(
      plan.targets.map((t) => t.id),
      ['system:/usr/local/share/ca-certificates/container-https-abcdef012345.crt', 'wsl:windows-user-root'],
    );
    assert.deepEqual(plan.targets[1].steps, [
      { argv: ['certutil.exe', '-user', '-addstore', 'Root', win], admin: false },
    ]);
    assert.equal(formatStep(plan.targets[1].steps[0], p), `certutil.exe -user -addstore Root '${win}'`);
    const undo = planUntrust([plan.targets[1].target], { caFile: CA, names });
    assert.deepEqual(undo.targets[0].steps, [
      {
        argv: ['certutil.exe', '-user', '-delstore', 'Root', '123456789ABCDEF0123456789ABCDEF012345678'],
        admin: false,
      },
    ]);
  });

  test('PowerShell when certutil.exe is not reachable', () => {
    const p = platform({ wsl: true, tools: { 'update-ca-certificates': true, 'powershell.exe': true } });
    const plan = planTrust(
      input({
        platform: p,
        select: { system: true, nss: false, java: false },
        wslWindowsCaFile: "C:\\Users\\O'Neil\\root.pem",
      }),
    );
    assert.deepEqual(plan.targets[1].steps[0].argv, [
      'powershell.exe',
      '-NoProfile',
      '-NonInteractive',
      '-Command',
      "Import-Certificate -FilePath 'C:\\Users\\O''Neil\\root.pem' -CertStoreLocation Cert:\\CurrentUser\\Root | Out-Null",
    ]);
    const undo = planUntrust([plan.targets[1].target], { caFile: CA, names });
    assert.deepEqual(undo.targets[0].steps[0].argv, [
      'powershell.exe',
      '-NoProfile',
      '-NonInteractive',
      '-Command',
      'Remove-Item -Path Cert:\\CurrentUser\\Root\\123456789ABCDEF0123456789ABCDEF012345678',
    ]);
  });

  test('no Windows interop: skipped with the fix', () => {
    const plan = planTrust(
      input({
        platform: platform({ wsl: true, tools: { 'update-ca-certificates': true } }),
        select: { system: true, nss: false, java: false },
        wslWindowsCaFile: win,
      }),
    );
    assert.equal(plan.targets.length, 1);
    assert.match(plan.skipped[0].reason, /neither certutil\.exe nor powershell\.exe/);
    assert.match(plan.skipped[0].fix ?? '', /\[interop\] enabled=true/);
  });
});

describe('Java keystore ($JAVA_HOME)', () => {
  test('keytool -importcert into cacerts; admin when the keystore is not writable; exact inverse', () => {
    const ks = javaKeystoreOf('/usr/lib/jvm/java-17', () => false);
    assert.deepEqual(ks, {
      keytool: '/usr/lib/jvm/java-17/bin/keytool',
      keystore: '/usr/lib/jvm/java-17/lib/security/cacerts',
    });
    const p = platform({ javaHome: '/usr/lib/jvm/java-17', tools: { keytool: true } });
    const plan = planTrust(
      input({ platform: p, select: { system: false, nss: false, java: true }, java: { ...ks, writable: false } }),
    );
    assert.deepEqual(commands(plan, p), [
      [
        `sudo /usr/lib/jvm/java-17/bin/keytool -importcert -noprompt -trustcacerts -alias container-https-local-ca-abcdef012345 -file ${CA} -keystore /usr/lib/jvm/java-17/lib/security/cacerts -storepass changeit`,
      ],
    ]);
    const undo = planUntrust(
      plan.targets.map((t) => t.target),
      { caFile: CA, names },
    );
    assert.deepEqual(commands(undo, p), [
      [
        'sudo /usr/lib/jvm/java-17/bin/keytool -delete -noprompt -alias container-https-local-ca-abcdef012345 -keystore /usr/lib/jvm/java-17/lib/security/cacerts -storepass changeit',
      ],
    ]);
  });

  test('Java 8 layout (jre/lib/security/cacerts)', () => {
    assert.equal(
      javaKeystoreOf('/opt/jdk8', (f) => f === '/opt/jdk8/jre/lib/security/cacerts').keystore,
      '/opt/jdk8/jre/lib/security/cacerts',
    );
  });

  test('no JAVA_HOME: Java is not planned', () => {
    const plan = planTrust(input({ platform: platform({ tools: { 'update-ca-certificates': true } }) }));
    assert.ok(!plan.targets.some((t) => t.target.kind === 'java'));
  });
});

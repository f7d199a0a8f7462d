import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  confIncludes,
  formatPortsPlan,
  nftRules,
  planPortsSetup,
  planPortsUndo,
  sysctlBefore,
  type PortsPlanInput,
} from '../../proxy-core/src/ports/portsPlan';

const user = { os: 'linux' as const, family: 'debian' as const, isRoot: false };
const DEBIAN_CONF = '#!/usr/sbin/nft -f\n\nflush ruleset\n\ntable inet filter {\n}\n';

function input(over: Partial<PortsPlanInput> = {}): PortsPlanInput {
  return {
    platform: user,
    method: 'nftables',
    httpsPort: 8443,
    httpPort: 8080,
    configRoot: '/',
    hasNftDir: false,
    stageDir: '/home/u/.local/state/container-https/ports',
    nftablesConf: DEBIAN_CONF,
    tools: { nft: true, sysctl: true },
    sysctlNow: 1024,
    serviceEnabled: true,
    ...over,
  };
}

describe('ports setup plan (pure: the --dry-run text)', () => {
  test('Debian, nftables: the file in /etc, an include line in /etc/nftables.conf, loaded now; every admin step shows sudo', () => {
    const plan = planPortsSetup(input());
    assert.deepEqual(formatPortsPlan(plan, user), [
      'Serve https://NAME.localhost/ without a port (nftables):',
      '    # write /home/u/.local/state/container-https/ports/container-https.nft (as you)',
      '    sudo install -m 0644 /home/u/.local/state/container-https/ports/container-https.nft /etc/container-https.nft   # needs admin rights',
      `    sudo sed -i '$a include "/etc/container-https.nft" # container-https' /etc/nftables.conf   # needs admin rights`,
      '    sudo nft -f /etc/container-https.nft   # needs admin rights',
      "Loopback only: 127.0.0.1:443 and [::1]:443 go to the proxy's port 8443, :80 to 8080 (table inet container_https). Nothing else changes.",
    ]);
    assert.equal(plan.files[0].content, nftRules(8443, 8080));
  });

  test('the ruleset is loopback-only, in a table of its own, replaced whole on each load', () => {
    const rules = nftRules(8443, 8080);
    assert.match(
      rules,
      /^table inet container_https\ndelete table inet container_https\ntable inet container_https \{$/m,
    );
    assert.match(rules, /type nat hook output priority -100; policy accept;/);
    for (const [from, to] of [
      [443, 8443],
      [80, 8080],
    ]) {
      assert.match(rules, new RegExp(`oif "lo" ip daddr 127\\.0\\.0\\.0/8 tcp dport ${from} redirect to :${to}\\n`));
      assert.match(rules, new RegExp(`oif "lo" ip6 daddr ::1 tcp dport ${from} redirect to :${to}\\n`));
    }
    assert.doesNotMatch(nftRules(8443, null), /dport 80/, 'no HTTP listener: 80 is left alone');
  });

  test('with /etc/nftables.d and a glob include already there: the file goes there and nftables.conf is not edited', () => {
    const conf = DEBIAN_CONF + 'include "/etc/nftables.d/*.nft"\n';
    assert.equal(confIncludes(conf, '/etc/nftables.d/container-https.nft'), true);
    const plan = planPortsSetup(input({ hasNftDir: true, nftablesConf: conf }));
    assert.deepEqual(
      plan.steps.map((s) => s.argv[0]),
      ['install', 'nft'],
    );
    assert.equal(plan.steps[0].argv.at(-1), '/etc/nftables.d/container-https.nft');
  });

  test('as root no sudo is shown; nftables.service disabled and no nftables.conf are said, not silently ignored', () => {
    const root = { ...user, isRoot: true };
    const plan = planPortsSetup(input({ platform: root, serviceEnabled: false }));
    const text = formatPortsPlan(plan, root).join('\n');
    assert.doesNotMatch(text, /^ {4}sudo /m);
    assert.match(text, /nftables\.service is not enabled.*sudo systemctl enable nftables\.service/);
    const none = formatPortsPlan(planPortsSetup(input({ nftablesConf: undefined })), user).join('\n');
    assert.match(none, /\/etc\/nftables\.conf does not exist, so the redirect lasts until reboot/);
    assert.doesNotMatch(none, /sed -i/);
  });

  test('no nft: blocked with the install command', () => {
    const plan = planPortsSetup(input({ tools: { nft: false, sysctl: true } }));
    assert.deepEqual(formatPortsPlan(plan, user), [
      'Cannot set up the standard ports: nft (nftables) is not installed.',
      '    fix: sudo apt-get install -y nftables',
    ]);
  });

  test('--sysctl: says plainly that it is system-wide and records the value from before', () => {
    const plan = planPortsSetup(input({ method: 'sysctl', sysctlNow: 1024 }));
    const text = formatPortsPlan(plan, user).join('\n');
    assert.match(text, /sudo install -m 0644 \S+\/60-container-https\.conf \/etc\/sysctl\.d\/60-container-https\.conf/);
    assert.match(text, /sudo sysctl -w net\.ipv4\.ip_unprivileged_port_start=80 /);
    assert.match(text, /This is system-wide: every program of every user may then listen on ports 80-1023/);
    assert.match(text, /serve --https-port 443 --http-port 80/);
    assert.equal(sysctlBefore(plan.files[0].content), 1024);
    const already = planPortsSetup(input({ method: 'sysctl', sysctlNow: 0 }));
    assert.equal(already.steps.length, 0);
  });

  test('macOS and Windows: nothing to change, and what to verify', () => {
    for (const os of ['darwin', 'win32'] as const) {
      const p = { os, family: 'unknown' as const, isRoot: false };
      const plan = planPortsSetup(input({ platform: p, method: 'direct' }));
      assert.equal(plan.steps.length, 0);
      const text = formatPortsPlan(plan, p).join('\n');
      assert.match(
        text,
        os === 'darwin' ? /macOS \(10\.14 and later\)/ : /no other service \(IIS, another proxy\) holds 443/,
      );
      assert.match(text, /--https-port 443 --http-port 80/);
    }
  });
});

describe('ports undo plan (pure)', () => {
  test('removes exactly what setup added, in reverse, and only what is still there', () => {
    const plan = planPortsUndo(user, '/', {
      nftFile: '/etc/container-https.nft',
      includeLine: true,
      liveTable: true,
      sysctlFile: { before: 1024 },
    });
    assert.deepEqual(formatPortsPlan(plan, user), [
      'Remove what ports setup added:',
      `    sudo sed -i '\\|^include "/etc/container-https\\.nft" # container-https$|d' /etc/nftables.conf   # needs admin rights`,
      '    sudo rm -f /etc/container-https.nft   # needs admin rights',
      '    sudo nft delete table inet container_https   # needs admin rights',
      '    sudo rm -f /etc/sysctl.d/60-container-https.conf   # needs admin rights',
      '    sudo sysctl -w net.ipv4.ip_unprivileged_port_start=1024   # needs admin rights',
    ]);
    const nothing = planPortsUndo(user, '/', { includeLine: false, liveTable: false });
    assert.deepEqual(formatPortsPlan(nothing, user), ['ports setup has added nothing here: nothing to undo.']);
  });

  test('a table this user may not list is deleted with "already gone" accepted', () => {
    const plan = planPortsUndo(user, '/', {
      nftFile: '/etc/container-https.nft',
      includeLine: false,
      liveTable: 'unknown',
    });
    assert.deepEqual(plan.steps.at(-1), {
      argv: ['nft', 'delete', 'table', 'inet', 'container_https'],
      admin: true,
      okCodes: [1],
    });
  });
});

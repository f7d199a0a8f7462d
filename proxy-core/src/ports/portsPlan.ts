import * as path from 'node:path';
import type { LinuxFamily, PlatformInfo } from '../trust/platform';
import { formatStep, type TrustStep } from '../trust/trustPlan';

/**
 * Pure functions: the admin steps that let `https://name.localhost/` (no port) reach the proxy,
 * and the steps that take them back. Nothing here runs anything, so `--dry-run` prints exactly
 * what `ports setup` / `ports undo` run, and every OS's plan is unit-tested anywhere.
 */

/**
 * - `nftables` (Linux, the default): a loopback-only redirect 443 → the HTTPS port, 80 → the HTTP
 *   port, in a table of our own; nothing else on the machine changes.
 * - `sysctl` (Linux, opt-in): `net.ipv4.ip_unprivileged_port_start` lowered to 80, system-wide;
 *   the proxy then binds 443 and 80 itself.
 * - `direct` (macOS 10.14+, Windows): nothing to change; the proxy binds 443 and 80 itself.
 */
export type PortsMethod = 'nftables' | 'sysctl' | 'direct';

/** The nftables table that holds our redirect, and nothing else. */
export const NFT_TABLE = 'inet container_https';
export const SYSCTL_KEY = 'net.ipv4.ip_unprivileged_port_start';
/** Marks the include line we add, so undo removes that line and no other. */
const INCLUDE_MARK = '# container-https';
const DEFAULT_UNPRIVILEGED_START = 1024;

export interface PortsPaths {
  nftFile: string;
  nftConf: string;
  sysctlFile: string;
}

/** Where our ruleset file goes: /etc/nftables.d when the system has that folder, else /etc itself (no folder is created, so undo leaves none behind). */
export function nftFileCandidates(configRoot: string): { inDir: string; inEtc: string } {
  return {
    inDir: path.join(configRoot, 'etc', 'nftables.d', 'container-https.nft'),
    inEtc: path.join(configRoot, 'etc', 'container-https.nft'),
  };
}

/** The files we own or edit, under `configRoot` (`/`; tests and packagers give another root). */
export function portsPaths(configRoot: string, family: LinuxFamily, hasNftDir: boolean): PortsPaths {
  const nft = nftFileCandidates(configRoot);
  return {
    nftFile: hasNftDir ? nft.inDir : nft.inEtc,
    // The file the distribution's nftables.service loads at boot.
    nftConf: path.join(
      configRoot,
      'etc',
      ...(family === 'fedora' ? ['sysconfig', 'nftables.conf'] : ['nftables.conf']),
    ),
    sysctlFile: path.join(configRoot, 'etc', 'sysctl.d', '60-container-https.conf'),
  };
}

export interface PortsPlanInput {
  platform: Pick<PlatformInfo, 'os' | 'family' | 'isRoot'>;
  method: PortsMethod;
  httpsPort: number;
  /** Null: the proxy has no HTTP listener, so 80 is left alone. */
  httpPort: number | null;
  configRoot: string;
  /** Whether <configRoot>/etc/nftables.d exists. */
  hasNftDir: boolean;
  /** Where the CLI writes the files before the admin step installs them. */
  stageDir: string;
  /** The text of the nftables.conf the service loads; undefined when there is none. */
  nftablesConf?: string;
  tools: { nft: boolean; sysctl: boolean };
  /** The sysctl's value now (Linux). */
  sysctlNow?: number;
  /** Whether nftables.service loads nftables.conf at boot; undefined when that cannot be told. */
  serviceEnabled?: boolean;
}

export interface PortsPlan {
  action: 'setup' | 'undo';
  method: PortsMethod;
  steps: TrustStep[];
  /** Written by the CLI (as the user) before the steps run. */
  files: Array<{ staged: string; content: string }>;
  notes: string[];
  /** Set when the plan cannot be carried out here: why, and the command that fixes it. */
  blocked?: { reason: string; fix?: string };
}

/** The ruleset file: a table of our own, replaced whole on every load (idempotent). */
export function nftRules(httpsPort: number, httpPort: number | null): string {
  const rules: string[] = [];
  for (const [from, to] of [[443, httpsPort], ...(httpPort === null ? [] : [[80, httpPort]])]) {
    rules.push(`\t\toif "lo" ip daddr 127.0.0.0/8 tcp dport ${from} redirect to :${to}`);
    rules.push(`\t\toif "lo" ip6 daddr ::1 tcp dport ${from} redirect to :${to}`);
  }
  return [
    '#!/usr/sbin/nft -f',
    '# Added by `container-https ports setup`; removed by `container-https ports undo`.',
    '# Loopback only: connections from this machine to 127.0.0.0/8 or ::1 on 443 (and 80) go to the',
    "# proxy's own ports. Nothing from other machines, and no other port, is touched.",
    `table ${NFT_TABLE}`,
    `delete table ${NFT_TABLE}`,
    `table ${NFT_TABLE} {`,
    '\tchain output {',
    // -100 is dstnat's priority; nft 1.0.6 does not accept the name in the output hook.
    '\t\ttype nat hook output priority -100; policy accept;',
    ...rules,
    '\t}',
    '}',
    '',
  ].join('\n');
}

function includeLine(nftFile: string): string {
  return `include "${nftFile}" ${INCLUDE_MARK}`;
}

/** True when nftables.conf already loads our file (by its name, or a glob over its folder). */
export function confIncludes(conf: string, nftFile: string): boolean {
  for (const m of conf.matchAll(/^\s*include\s+"([^"]+)"/gm)) {
    const p = m[1];
    if (p === nftFile) return true;
    if (path.dirname(p) === path.dirname(nftFile) && /^\*(\.nft)?$/.test(path.basename(p))) return true;
  }
  return false;
}

/** Our include line, exactly as setup wrote it (undo removes only that). */
export function confHasOurInclude(conf: string, nftFile: string): boolean {
  return conf.split('\n').includes(includeLine(nftFile));
}

function sedAddress(line: string): string {
  return `\\|^${line.replace(/[.*[\]^$\\]/g, '\\$&')}$|d`;
}

const admin = (...argv: string[]): TrustStep => ({ argv, admin: true });

/** `ports setup`: the steps for this OS and method. */
export function planPortsSetup(input: PortsPlanInput): PortsPlan {
  const { platform: p, method } = input;
  const base = { action: 'setup' as const, method, steps: [] as TrustStep[], files: [], notes: [] as string[] };
  const paths = portsPaths(input.configRoot, p.family, input.hasNftDir);
  const restart = `Then start the proxy on the standard ports: container-https serve --https-port 443${input.httpPort === null ? '' : ' --http-port 80'} (in the editor: containerHttps.proxy.httpsPort 443${input.httpPort === null ? '' : ', containerHttps.proxy.httpPort 80'}).`;
  if (method === 'direct') {
    const why =
      p.os === 'darwin'
        ? 'macOS (10.14 and later) lets any user listen on 443 and 80: nothing to change.'
        : p.os === 'win32'
          ? 'Windows lets any user listen on 443 and 80: nothing to change, as long as no other service (IIS, another proxy) holds 443.'
          : 'Nothing to change on this system.';
    return { ...base, notes: [why, restart] };
  }
  if (p.os !== 'linux')
    return { ...base, blocked: { reason: `--${method} is for Linux; on this system nothing needs changing` } };
  if (method === 'sysctl') {
    const value = input.httpPort === null ? 443 : 80;
    if (!input.tools.sysctl)
      return { ...base, blocked: { reason: 'sysctl is not installed', fix: 'sudo apt-get install -y procps' } };
    if (input.sysctlNow !== undefined && input.sysctlNow <= value)
      return { ...base, notes: [`${SYSCTL_KEY} is already ${input.sysctlNow}: nothing to change.`, restart] };
    const staged = path.join(input.stageDir, path.basename(paths.sysctlFile));
    const content = [
      '# Added by `container-https ports setup --sysctl`; removed by `container-https ports undo`.',
      `# System-wide: every program of every user may listen on ports from ${value} up.`,
      `# before: ${input.sysctlNow ?? DEFAULT_UNPRIVILEGED_START}`,
      `${SYSCTL_KEY} = ${value}`,
      '',
    ].join('\n');
    return {
      ...base,
      files: [{ staged, content }],
      steps: [
        admin('install', '-m', '0644', staged, paths.sysctlFile),
        admin('sysctl', '-w', `${SYSCTL_KEY}=${value}`),
      ],
      notes: [
        `This is system-wide: every program of every user may then listen on ports ${value}-1023, not only this proxy. The default (without --sysctl) redirects only loopback connections to 443 and 80.`,
        restart,
      ],
    };
  }
  if (!input.tools.nft)
    return { ...base, blocked: { reason: 'nft (nftables) is not installed', fix: nftInstallCommand(p.family) } };
  const staged = path.join(input.stageDir, path.basename(paths.nftFile));
  const steps = [admin('install', '-m', '0644', staged, paths.nftFile)];
  const notes = [
    `Loopback only: 127.0.0.1:443 and [::1]:443 go to the proxy's port ${input.httpsPort}${input.httpPort === null ? '' : `, :80 to ${input.httpPort}`} (table ${NFT_TABLE}). Nothing else changes.`,
  ];
  if (input.nftablesConf === undefined)
    notes.push(
      `${paths.nftConf} does not exist, so the redirect lasts until reboot; run ports setup again after one (or load ${paths.nftFile} from your own firewall configuration).`,
    );
  else if (!confIncludes(input.nftablesConf, paths.nftFile))
    steps.push(admin('sed', '-i', `$a ${includeLine(paths.nftFile)}`, paths.nftConf));
  steps.push(admin('nft', '-f', paths.nftFile));
  if (input.nftablesConf !== undefined && input.serviceEnabled === false)
    notes.push(
      `nftables.service is not enabled, so ${paths.nftConf} (and the redirect) is not loaded at boot until you run: sudo systemctl enable nftables.service`,
    );
  return { ...base, files: [{ staged, content: nftRules(input.httpsPort, input.httpPort) }], steps, notes };
}

/** What setup left on this machine, as found (ports/portsState.ts reads it). */
export interface PortsInstalled {
  /** Our ruleset file, where it was found. */
  nftFile?: string;
  /** nftables.conf carries our include line. */
  includeLine: boolean;
  /**
   * The table is loaded now (`nft list table inet container_https`). 'unknown' when this user may
   * not list it: then it is removed when our file is there, and "already gone" counts as done.
   */
  liveTable: boolean | 'unknown';
  /** Our sysctl file, with the value it recorded from before. */
  sysctlFile?: { before?: number };
}

/** `ports undo`: exactly what setup added, and only what is still there. */
export function planPortsUndo(
  platform: Pick<PlatformInfo, 'os' | 'family' | 'isRoot'>,
  configRoot: string,
  installed: PortsInstalled,
): PortsPlan {
  const paths = portsPaths(configRoot, platform.family, false);
  const steps: TrustStep[] = [];
  if (installed.includeLine && installed.nftFile)
    steps.push(admin('sed', '-i', sedAddress(includeLine(installed.nftFile)), paths.nftConf));
  if (installed.nftFile) steps.push(admin('rm', '-f', installed.nftFile));
  if (installed.liveTable === true) steps.push(admin('nft', 'delete', 'table', ...NFT_TABLE.split(' ')));
  else if (installed.liveTable === 'unknown' && installed.nftFile)
    steps.push({ ...admin('nft', 'delete', 'table', ...NFT_TABLE.split(' ')), okCodes: [1] });
  if (installed.sysctlFile) {
    steps.push(admin('rm', '-f', paths.sysctlFile));
    steps.push(admin('sysctl', '-w', `${SYSCTL_KEY}=${installed.sysctlFile.before ?? DEFAULT_UNPRIVILEGED_START}`));
  }
  const method: PortsMethod =
    installed.sysctlFile && !installed.nftFile && !installed.liveTable ? 'sysctl' : 'nftables';
  return {
    action: 'undo',
    method: platform.os === 'linux' ? method : 'direct',
    steps,
    files: [],
    notes: steps.length ? [] : ['ports setup has added nothing here: nothing to undo.'],
  };
}

/** The value our sysctl file recorded from before setup. */
export function sysctlBefore(fileText: string): number | undefined {
  const m = /^# before: (\d+)$/m.exec(fileText);
  return m ? Number(m[1]) : undefined;
}

export function nftInstallCommand(family: LinuxFamily): string {
  switch (family) {
    case 'fedora':
      return 'sudo dnf install -y nftables';
    case 'arch':
      return 'sudo pacman -S --noconfirm nftables';
    case 'suse':
      return 'sudo zypper install -y nftables';
    default:
      return 'sudo apt-get install -y nftables';
  }
}

/** The plan as `--dry-run` and a real run print it. */
export function formatPortsPlan(plan: PortsPlan, p: Pick<PlatformInfo, 'os' | 'isRoot'>): string[] {
  const lines: string[] = [];
  if (plan.blocked) {
    lines.push(`Cannot ${plan.action === 'setup' ? 'set up' : 'undo'} the standard ports: ${plan.blocked.reason}.`);
    if (plan.blocked.fix) lines.push(`    fix: ${plan.blocked.fix}`);
    return lines;
  }
  if (plan.steps.length) {
    lines.push(
      plan.action === 'setup'
        ? `Serve https://NAME.localhost/ without a port (${plan.method}):`
        : 'Remove what ports setup added:',
    );
    for (const f of plan.files) lines.push(`    # write ${f.staged} (as you)`);
    for (const s of plan.steps)
      lines.push(`    ${formatStep(s, p)}${s.admin && p.os !== 'win32' && !p.isRoot ? '   # needs admin rights' : ''}`);
  }
  lines.push(...plan.notes);
  return lines;
}

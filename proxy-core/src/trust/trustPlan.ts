import * as path from 'node:path';
import type { NssDb } from './nssDbs';
import type { LinuxFamily, PlatformInfo } from './platform';
import { shellQuote } from '../shellQuote';

/**
 * Pure functions: which stores to touch and the exact commands for each, both ways. Nothing here
 * runs anything, so every OS's plan is unit-tested on any OS, and `--dry-run` prints the same
 * commands the runner executes.
 */

/** What the user selects with --system / --nss / --java. */
export type StoreKind = 'system' | 'nss' | 'java';

/** One store we add the CA to, as plain data: recorded in ca/trust.json so untrust can undo it. */
export type TrustTarget =
  | { kind: 'system'; store: 'linux'; family: Exclude<LinuxFamily, 'unknown'>; file: string }
  | { kind: 'system'; store: 'macos'; keychain: 'login' | 'system'; keychainFile: string }
  | { kind: 'system'; store: 'windows' }
  | { kind: 'system'; store: 'wsl-windows'; windowsFile: string; via: 'certutil.exe' | 'powershell.exe' }
  | { kind: 'nss'; store: 'nss'; dir: string; format: 'sql' | 'dbm'; owner: string; create?: boolean }
  | { kind: 'java'; store: 'java'; keytool: string; keystore: string; admin: boolean };

export interface TrustStep {
  argv: string[];
  /** Needs admin rights: shown and run with a visible `sudo` (never elevated silently). */
  admin: boolean;
  /** Exit codes besides 0 that mean "already done" (e.g. removing something already gone). */
  okCodes?: number[];
}

export interface PlannedTarget {
  id: string;
  label: string;
  target: TrustTarget;
  steps: TrustStep[];
}

export interface SkippedStore {
  kind: StoreKind;
  label: string;
  reason: string;
  /** The exact command that fixes it (e.g. installing certutil), when there is one. */
  fix?: string;
}

export interface TrustPlan {
  action: 'trust' | 'untrust';
  targets: PlannedTarget[];
  skipped: SkippedStore[];
}

/** Names derived from the CA so two CAs (or a test's CA) never collide in a store. */
export interface CaNames {
  /** certutil/keytool nickname or alias. */
  nickname: string;
  /** File name stem in system anchor directories. */
  fileStem: string;
  /** SHA-1 thumbprint, upper-case hex without colons (Windows and macOS find certificates by it). */
  sha1: string;
}

/** fingerprint256 / fingerprint as Node's X509Certificate prints them ("AB:CD:..."). */
export function caNames(fingerprint256: string, fingerprint1: string): CaNames {
  const short = fingerprint256.replace(/:/g, '').slice(0, 12).toLowerCase();
  return {
    nickname: `container-https-local-ca-${short}`,
    fileStem: `container-https-${short}`,
    sha1: fingerprint1.replace(/:/g, '').toUpperCase(),
  };
}

export interface PlanInput {
  platform: PlatformInfo;
  caFile: string;
  names: CaNames;
  select: Record<StoreKind, boolean>;
  /** NSS databases to add to (found, or the one given with --nss-db). */
  nssDbs: NssDb[];
  /** True when --nss-db named the databases (so "none found" is not the reason to skip). */
  nssExplicit?: boolean;
  /** The CA file as Windows sees it from WSL (`wslpath -w`). */
  wslWindowsCaFile?: string;
  /** $JAVA_HOME's keystore and whether this user can write it. */
  java?: { keytool: string; keystore: string; writable: boolean };
}

const LINUX_ANCHORS: Record<
  Exclude<LinuxFamily, 'unknown'>,
  { dir: string; ext: string; refresh: string[]; tool: string; pkg: string }
> = {
  debian: {
    dir: '/usr/local/share/ca-certificates',
    ext: '.crt',
    refresh: ['update-ca-certificates'],
    tool: 'update-ca-certificates',
    pkg: 'apt-get install -y ca-certificates',
  },
  fedora: {
    dir: '/etc/pki/ca-trust/source/anchors',
    ext: '.pem',
    refresh: ['update-ca-trust', 'extract'],
    tool: 'update-ca-trust',
    pkg: 'dnf install -y ca-certificates',
  },
  arch: {
    dir: '/etc/ca-certificates/trust-source/anchors',
    ext: '.crt',
    refresh: ['trust', 'extract-compat'],
    tool: 'trust',
    pkg: 'pacman -S --noconfirm p11-kit',
  },
  suse: {
    dir: '/etc/pki/trust/anchors',
    ext: '.pem',
    refresh: ['update-ca-certificates'],
    tool: 'update-ca-certificates',
    pkg: 'zypper install -y ca-certificates',
  },
};

/** The command that installs NSS's certutil on this system. */
export function certutilInstallCommand(p: Pick<PlatformInfo, 'os' | 'family'>): string | undefined {
  if (p.os === 'darwin') return 'brew install nss';
  if (p.os !== 'linux') return undefined;
  switch (p.family) {
    case 'debian':
      return 'sudo apt-get install -y libnss3-tools';
    case 'fedora':
      return 'sudo dnf install -y nss-tools';
    case 'arch':
      return 'sudo pacman -S --noconfirm nss';
    case 'suse':
      return 'sudo zypper install -y mozilla-nss-tools';
    default:
      return undefined;
  }
}

/** A distribution we do not know by name still works when its tools say which family it is. */
function effectiveFamily(p: PlatformInfo): Exclude<LinuxFamily, 'unknown'> | undefined {
  if (p.family !== 'unknown') return p.family;
  if (p.tools['update-ca-trust']) return 'fedora';
  if (p.tools['update-ca-certificates']) return 'debian';
  if (p.tools.trust) return 'arch';
  return undefined;
}

export function linuxAnchorFile(family: Exclude<LinuxFamily, 'unknown'>, names: CaNames): string {
  const a = LINUX_ANCHORS[family];
  return path.posix.join(a.dir, names.fileStem + a.ext);
}

export function javaKeystoreOf(
  javaHome: string,
  exists: (f: string) => boolean,
): { keytool: string; keystore: string } {
  const jre8 = path.join(javaHome, 'jre', 'lib', 'security', 'cacerts');
  const keystore = exists(jre8) ? jre8 : path.join(javaHome, 'lib', 'security', 'cacerts');
  return { keytool: path.join(javaHome, 'bin', 'keytool'), keystore };
}

export function targetId(t: TrustTarget): string {
  switch (t.store) {
    case 'linux':
      return `system:${t.file}`;
    case 'macos':
      return `macos:${t.keychain}`;
    case 'windows':
      return 'windows:user-root';
    case 'wsl-windows':
      return 'wsl:windows-user-root';
    case 'nss':
      return `nss:${t.dir}`;
    case 'java':
      return `java:${t.keystore}`;
  }
}

export function targetLabel(t: TrustTarget): string {
  switch (t.store) {
    case 'linux':
      return `system store (${t.family === 'debian' ? 'update-ca-certificates' : t.family === 'fedora' ? 'update-ca-trust' : t.family === 'arch' ? 'p11-kit trust' : 'openSUSE update-ca-certificates'})`;
    case 'macos':
      return `macOS ${t.keychain} keychain`;
    case 'windows':
      return 'Windows current user Root store';
    case 'wsl-windows':
      return 'Windows current user Root store (from WSL)';
    case 'nss':
      return `NSS: ${t.owner} (${t.dir})`;
    case 'java':
      return `Java keystore ${t.keystore}`;
  }
}

/** Every store to add the CA to on this machine, plus what we cannot do and how to fix it. */
export function planTrust(input: PlanInput): TrustPlan {
  const { platform: p, select } = input;
  const targets: TrustTarget[] = [];
  const skipped: SkippedStore[] = [];

  if (select.system) {
    if (p.os === 'linux') {
      const family = effectiveFamily(p);
      const anchors = family && LINUX_ANCHORS[family];
      if (!family || !anchors) {
        skipped.push({
          kind: 'system',
          label: 'system store',
          reason: `${p.distroName ?? 'this Linux distribution'} has none of update-ca-certificates, update-ca-trust or trust: add ${input.caFile} to its trust store by hand`,
        });
      } else if (!p.tools[anchors.tool]) {
        skipped.push({
          kind: 'system',
          label: 'system store',
          reason: `${anchors.tool} is not installed`,
          fix: `sudo ${anchors.pkg}`,
        });
      } else {
        targets.push({ kind: 'system', store: 'linux', family, file: linuxAnchorFile(family, input.names) });
      }
      if (p.wsl) {
        const via = p.tools['certutil.exe'] ? 'certutil.exe' : p.tools['powershell.exe'] ? 'powershell.exe' : undefined;
        if (!via)
          skipped.push({
            kind: 'system',
            label: 'Windows Root store (from WSL)',
            reason: 'neither certutil.exe nor powershell.exe is reachable from WSL (is Windows interop off?)',
            fix: 'enable interop in /etc/wsl.conf ([interop] enabled=true), then run wsl --shutdown from Windows',
          });
        else if (!input.wslWindowsCaFile)
          skipped.push({
            kind: 'system',
            label: 'Windows Root store (from WSL)',
            reason: `wslpath could not convert ${input.caFile} to a Windows path`,
          });
        else targets.push({ kind: 'system', store: 'wsl-windows', windowsFile: input.wslWindowsCaFile, via });
      }
    } else if (p.os === 'darwin') {
      const keychain = p.isRoot ? 'system' : 'login';
      targets.push({
        kind: 'system',
        store: 'macos',
        keychain,
        keychainFile:
          keychain === 'system'
            ? '/Library/Keychains/System.keychain'
            : path.posix.join(p.home, 'Library', 'Keychains', 'login.keychain-db'),
      });
    } else if (p.os === 'win32') {
      targets.push({ kind: 'system', store: 'windows' });
    } else {
      skipped.push({
        kind: 'system',
        label: 'system store',
        reason: `no trust support for ${p.os}: add ${input.caFile} to the system's trust store by hand`,
      });
    }
  }

  if (select.nss) {
    if (p.os === 'win32') {
      skipped.push({
        kind: 'nss',
        label: 'Firefox',
        reason:
          'Firefox on Windows reads the Windows Root store when security.enterprise_roots.enabled is true (about:config); NSS certutil is not available for Windows',
      });
    } else if (!input.nssDbs.length) {
      if (input.nssExplicit || p.os === 'linux') {
        skipped.push({
          kind: 'nss',
          label: 'NSS (Chrome/Chromium, Firefox)',
          reason:
            'no NSS database found (~/.pki/nssdb appears when Chrome/Chromium first starts; Firefox profiles when Firefox first starts): run ca trust again afterwards',
        });
      }
    } else if (!p.tools.certutil) {
      const fix = certutilInstallCommand(p);
      skipped.push({
        kind: 'nss',
        label: `NSS (${input.nssDbs.map((d) => d.owner).join(', ')})`,
        reason: 'certutil is not installed',
        fix,
      });
    } else {
      for (const db of input.nssDbs)
        targets.push({
          kind: 'nss',
          store: 'nss',
          dir: db.dir,
          format: db.format,
          owner: db.owner,
          ...(db.create ? { create: true } : {}),
        });
    }
  }

  if (select.java && input.java) {
    if (!p.tools.keytool)
      skipped.push({ kind: 'java', label: 'Java keystore', reason: 'keytool not found in $JAVA_HOME/bin or on PATH' });
    else
      targets.push({
        kind: 'java',
        store: 'java',
        keytool: input.java.keytool,
        keystore: input.java.keystore,
        admin: !input.java.writable,
      });
  }

  return { action: 'trust', targets: targets.map((t) => planned(t, 'trust', input)), skipped };
}

/** The exact inverse of what was recorded: untrust touches nothing `ca trust` did not add. */
export function planUntrust(recorded: TrustTarget[], input: Pick<PlanInput, 'caFile' | 'names'>): TrustPlan {
  return { action: 'untrust', targets: recorded.map((t) => planned(t, 'untrust', input)), skipped: [] };
}

function planned(
  t: TrustTarget,
  action: 'trust' | 'untrust',
  input: Pick<PlanInput, 'caFile' | 'names'>,
): PlannedTarget {
  return {
    id: targetId(t),
    label: targetLabel(t),
    target: t,
    steps: action === 'trust' ? trustSteps(t, input) : untrustSteps(t, input),
  };
}

export function trustSteps(t: TrustTarget, { caFile, names }: Pick<PlanInput, 'caFile' | 'names'>): TrustStep[] {
  switch (t.store) {
    case 'linux':
      return [
        { argv: ['install', '-m', '0644', caFile, t.file], admin: true },
        { argv: LINUX_ANCHORS[t.family].refresh, admin: true },
      ];
    case 'macos':
      return t.keychain === 'system'
        ? [
            {
              argv: ['security', 'add-trusted-cert', '-d', '-r', 'trustRoot', '-k', t.keychainFile, caFile],
              admin: true,
            },
          ]
        : [{ argv: ['security', 'add-trusted-cert', '-r', 'trustRoot', '-k', t.keychainFile, caFile], admin: false }];
    case 'windows':
      return [{ argv: ['certutil', '-user', '-addstore', 'Root', caFile], admin: false }];
    case 'wsl-windows':
      return t.via === 'certutil.exe'
        ? [{ argv: ['certutil.exe', '-user', '-addstore', 'Root', t.windowsFile], admin: false }]
        : [
            {
              argv: [
                'powershell.exe',
                '-NoProfile',
                '-NonInteractive',
                '-Command',
                `Import-Certificate -FilePath '${psQuote(t.windowsFile)}' -CertStoreLocation Cert:\\CurrentUser\\Root | Out-Null`,
              ],
              admin: false,
            },
          ];
    case 'nss':
      return [
        ...(t.create
          ? [
              { argv: ['mkdir', '-p', '-m', '0700', t.dir], admin: false },
              { argv: ['certutil', '-N', '--empty-password', '-d', `sql:${t.dir}`], admin: false },
            ]
          : []),
        {
          argv: ['certutil', '-A', '-d', `${t.format}:${t.dir}`, '-t', 'C,,', '-n', names.nickname, '-i', caFile],
          admin: false,
        },
      ];
    case 'java':
      return [
        {
          argv: [
            t.keytool,
            '-importcert',
            '-noprompt',
            '-trustcacerts',
            '-alias',
            names.nickname,
            '-file',
            caFile,
            '-keystore',
            t.keystore,
            '-storepass',
            'changeit',
          ],
          admin: t.admin,
        },
      ];
  }
}

export function untrustSteps(t: TrustTarget, { caFile, names }: Pick<PlanInput, 'caFile' | 'names'>): TrustStep[] {
  switch (t.store) {
    case 'linux':
      return [
        { argv: ['rm', '-f', t.file], admin: true },
        { argv: LINUX_ANCHORS[t.family].refresh, admin: true },
      ];
    case 'macos':
      return [
        {
          argv: ['security', 'remove-trusted-cert', ...(t.keychain === 'system' ? ['-d'] : []), caFile],
          admin: t.keychain === 'system',
        },
        { argv: ['security', 'delete-certificate', '-Z', names.sha1, t.keychainFile], admin: t.keychain === 'system' },
      ];
    case 'windows':
      return [{ argv: ['certutil', '-user', '-delstore', 'Root', names.sha1], admin: false }];
    case 'wsl-windows':
      return t.via === 'certutil.exe'
        ? [{ argv: ['certutil.exe', '-user', '-delstore', 'Root', names.sha1], admin: false }]
        : [
            {
              argv: [
                'powershell.exe',
                '-NoProfile',
                '-NonInteractive',
                '-Command',
                `Remove-Item -Path Cert:\\CurrentUser\\Root\\${names.sha1}`,
              ],
              admin: false,
            },
          ];
    case 'nss':
      return [{ argv: ['certutil', '-D', '-d', `${t.format}:${t.dir}`, '-n', names.nickname], admin: false }];
    case 'java':
      return [
        {
          argv: [
            t.keytool,
            '-delete',
            '-noprompt',
            '-alias',
            names.nickname,
            '-keystore',
            t.keystore,
            '-storepass',
            'changeit',
          ],
          admin: t.admin,
        },
      ];
  }
}

function psQuote(s: string): string {
  return s.replace(/'/g, "''");
}

/** Whether a step is run with `sudo` in front on this machine. */
export function needsSudo(step: TrustStep, p: Pick<PlatformInfo, 'os' | 'isRoot'>): boolean {
  return step.admin && !p.isRoot && p.os !== 'win32';
}

/** The command as a user would type it (POSIX shell quoting; `sudo` shown when it is used). */
export function formatStep(step: TrustStep, p: Pick<PlatformInfo, 'os' | 'isRoot'>): string {
  const argv = needsSudo(step, p) ? ['sudo', ...step.argv] : step.argv;
  return argv.map(p.os === 'win32' ? winQuote : shellQuote).join(' ');
}

function winQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./\\-]+$/.test(s) ? s : `"${s.replace(/"/g, '\\"')}"`;
}

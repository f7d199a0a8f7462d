import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The Linux families whose system trust stores work differently (docs/trust.md). */
export type LinuxFamily = 'debian' | 'fedora' | 'arch' | 'suse' | 'unknown';

/** Everything a trust plan depends on about the machine, as plain data (so plans are pure). */
export interface PlatformInfo {
  os: 'linux' | 'darwin' | 'win32' | 'other';
  /** ID and ID_LIKE from /etc/os-release, e.g. ['ubuntu', 'debian']. */
  distroIds: string[];
  /** Human name from os-release (PRETTY_NAME), for messages. */
  distroName?: string;
  family: LinuxFamily;
  /** Running inside WSL: the browser most likely runs on the Windows side. */
  wsl: boolean;
  home: string;
  /** True when this process already has admin rights (root), so no sudo is needed. */
  isRoot: boolean;
  javaHome?: string;
  /** Commands found on PATH, by name (certutil, update-ca-certificates, ...). */
  tools: Record<string, boolean>;
}

/** Parses /etc/os-release text into its KEY=value pairs (values unquoted). */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    out[m[1]] = m[2].replace(/^(["'])(.*)\1$/, '$2').replace(/\\(.)/g, '$1');
  }
  return out;
}

/** The family of a distribution from its os-release ID and ID_LIKE. */
export function linuxFamily(ids: string[]): LinuxFamily {
  const has = (...names: string[]) => names.some((n) => ids.includes(n));
  if (has('debian', 'ubuntu', 'linuxmint', 'pop', 'raspbian', 'kali')) return 'debian';
  if (has('fedora', 'rhel', 'centos', 'rocky', 'almalinux', 'ol', 'amzn')) return 'fedora';
  if (has('arch', 'manjaro', 'endeavouros')) return 'arch';
  if (has('suse', 'opensuse', 'opensuse-leap', 'opensuse-tumbleweed', 'sles', 'sled')) return 'suse';
  return 'unknown';
}

/** WSL shows itself in the kernel version string and in the environment. */
export function isWsl(procVersion: string | undefined, env: NodeJS.ProcessEnv): boolean {
  return !!env.WSL_DISTRO_NAME || !!env.WSL_INTEROP || /microsoft/i.test(procVersion ?? '');
}

/** The tools trust plans may use; detection looks each one up on PATH. */
export const TRUST_TOOLS = [
  'certutil',
  'update-ca-certificates',
  'update-ca-trust',
  'trust',
  'security',
  'keytool',
  'certutil.exe',
  'powershell.exe',
  'wslpath',
  'sudo',
  // Browsers that read ~/.pki/nssdb on Linux: when one is installed, that database is worth
  // creating even before the browser's first start.
  'chromium',
  'chromium-browser',
  'google-chrome',
  'google-chrome-stable',
  'brave-browser',
  'microsoft-edge',
] as const;

export const CHROME_FAMILY = [
  'chromium',
  'chromium-browser',
  'google-chrome',
  'google-chrome-stable',
  'brave-browser',
  'microsoft-edge',
];

export function onPath(
  cmd: string,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): boolean {
  const dirs = (env.PATH ?? env.Path ?? '').split(platform === 'win32' ? ';' : ':').filter(Boolean);
  // Debian keeps update-ca-certificates in /usr/sbin, which a normal user's PATH may lack.
  if (platform !== 'win32') dirs.push('/usr/sbin', '/sbin', '/usr/local/sbin');
  const exts = platform === 'win32' && !path.extname(cmd) ? ['.exe', '.cmd', '.bat', ''] : [''];
  return dirs.some((d) => exts.some((e) => fs.existsSync(path.join(d, cmd + e))));
}

/** Looks at the real machine. Everything downstream takes the result as data. */
export function detectPlatform(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): PlatformInfo {
  const read = (f: string) => {
    try {
      return fs.readFileSync(f, 'utf8');
    } catch {
      return undefined;
    }
  };
  const osName = platform === 'linux' || platform === 'darwin' || platform === 'win32' ? platform : 'other';
  const release =
    osName === 'linux' ? parseOsRelease(read('/etc/os-release') ?? read('/usr/lib/os-release') ?? '') : {};
  const distroIds = [release.ID, ...(release.ID_LIKE ?? '').split(/\s+/)]
    .filter((s): s is string => !!s)
    .map((s) => s.toLowerCase());
  const tools: Record<string, boolean> = {};
  for (const t of TRUST_TOOLS) tools[t] = onPath(t, env, platform);
  const javaHome = env.JAVA_HOME && fs.existsSync(env.JAVA_HOME) ? env.JAVA_HOME : undefined;
  if (javaHome)
    tools.keytool =
      tools.keytool || fs.existsSync(path.join(javaHome, 'bin', platform === 'win32' ? 'keytool.exe' : 'keytool'));
  return {
    os: osName,
    distroIds,
    distroName: release.PRETTY_NAME,
    family: osName === 'linux' ? linuxFamily(distroIds) : 'unknown',
    wsl: osName === 'linux' && isWsl(read('/proc/version'), env),
    home: env.HOME || os.homedir(),
    isRoot: typeof process.getuid === 'function' && process.getuid() === 0,
    javaHome,
    tools,
  };
}

/** The Windows path of a file inside WSL (`wslpath -w`), or undefined when it cannot be converted. */
export function windowsPathOf(file: string): string | undefined {
  const r = spawnSync('wslpath', ['-w', file], { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 ? r.stdout.trim() || undefined : undefined;
}

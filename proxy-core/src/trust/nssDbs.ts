import * as fs from 'node:fs';
import * as path from 'node:path';
import { CHROME_FAMILY, type PlatformInfo } from './platform';

/** An NSS certificate database a browser reads: Chrome/Chromium's shared one or a Firefox profile. */
export interface NssDb {
  dir: string;
  /** Who reads it, for messages: "Chrome/Chromium", "Firefox profile default-release", ... */
  owner: string;
  /** 'sql' for cert9.db (every NSS since 2017), 'dbm' for an old cert8.db. */
  format: 'sql' | 'dbm';
  /** Does not exist yet: `ca trust` creates it (an empty sql database, as Chrome would). */
  create?: boolean;
}

/** Where Firefox keeps profiles, per install kind (deb/tarball, snap, flatpak, macOS, Windows). */
export function firefoxProfileRoots(
  info: Pick<PlatformInfo, 'os' | 'home'>,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  const h = info.home;
  if (info.os === 'darwin') return [path.join(h, 'Library', 'Application Support', 'Firefox', 'Profiles')];
  if (info.os === 'win32') {
    const appData = env.APPDATA || path.join(h, 'AppData', 'Roaming');
    return [path.join(appData, 'Mozilla', 'Firefox', 'Profiles')];
  }
  return [
    path.join(h, '.mozilla', 'firefox'),
    path.join(h, 'snap', 'firefox', 'common', '.mozilla', 'firefox'),
    path.join(h, '.var', 'app', 'org.mozilla.firefox', '.mozilla', 'firefox'),
    path.join(h, '.librewolf'),
  ];
}

/** Chrome/Chromium's shared NSS databases on Linux (regular and snap). */
export function chromiumNssDirs(info: Pick<PlatformInfo, 'os' | 'home'>): Array<{ dir: string; owner: string }> {
  if (info.os !== 'linux') return [];
  return [
    { dir: path.join(info.home, '.pki', 'nssdb'), owner: 'Chrome/Chromium' },
    { dir: path.join(info.home, 'snap', 'chromium', 'current', '.pki', 'nssdb'), owner: 'Chromium (snap)' },
  ];
}

function formatOf(dir: string): NssDb['format'] | undefined {
  if (fs.existsSync(path.join(dir, 'cert9.db'))) return 'sql';
  if (fs.existsSync(path.join(dir, 'cert8.db'))) return 'dbm';
  return undefined;
}

/**
 * Every NSS database that exists for this user. When a Chrome-family browser is installed but
 * has never started, ~/.pki/nssdb does not exist yet: it is returned with `create`, so trust works
 * from the browser's first start instead of needing a second `ca trust`.
 */
export function findNssDbs(
  info: Pick<PlatformInfo, 'os' | 'home'> & { tools?: Record<string, boolean> },
  env: NodeJS.ProcessEnv = process.env,
): NssDb[] {
  const out: NssDb[] = [];
  for (const { dir, owner } of chromiumNssDirs(info)) {
    const format = formatOf(dir);
    if (format) out.push({ dir, owner, format });
  }
  const chromeInstalled = CHROME_FAMILY.some((b) => info.tools?.[b]);
  const shared = chromiumNssDirs(info)[0];
  if (shared && chromeInstalled && !out.some((d) => d.dir === shared.dir))
    out.unshift({ ...shared, format: 'sql', create: true });
  for (const root of firefoxProfileRoots(info, env)) {
    let entries: string[] = [];
    try {
      entries = fs.readdirSync(root);
    } catch {
      continue;
    }
    for (const name of entries.sort()) {
      const dir = path.join(root, name);
      const format = formatOf(dir);
      if (format) out.push({ dir, owner: `Firefox profile ${name}`, format });
    }
  }
  return out;
}

/** An NSS database given by the user (--nss-db DIR): sql unless only an old cert8.db is there. */
export function nssDbAt(dir: string): NssDb {
  const abs = path.resolve(dir.replace(/^(sql|dbm):/, ''));
  return { dir: abs, owner: 'NSS database given with --nss-db', format: formatOf(abs) ?? 'sql' };
}

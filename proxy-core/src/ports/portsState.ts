import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import type { LinuxFamily } from '../trust/platform';
import {
  confHasOurInclude,
  nftFileCandidates,
  NFT_TABLE,
  portsPaths,
  sysctlBefore,
  SYSCTL_KEY,
  type PortsInstalled,
} from './portsPlan';

function readOr(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The kernel's value of net.ipv4.ip_unprivileged_port_start (per network namespace). */
export function readUnprivilegedPortStart(procRoot = '/proc'): number | undefined {
  const text = readOr(`${procRoot}/sys/${SYSCTL_KEY.replace(/\./g, '/')}`);
  return text === undefined ? undefined : Number(text.trim());
}

/** Whether our table is loaded: false/true when nft could tell, 'unknown' without the rights to ask. */
export function liveTable(): boolean | 'unknown' {
  const r = spawnSync('nft', ['list', 'table', ...NFT_TABLE.split(' ')], { encoding: 'utf8', timeout: 10_000 });
  if (r.error) return false; // no nft: nothing of ours can be loaded
  if (r.status === 0) return true;
  return /Operation not permitted|Permission denied/i.test(r.stderr) ? 'unknown' : false;
}

/** What `ports setup` left here, read from the files it writes and the live ruleset. */
export function readInstalled(configRoot: string, family: LinuxFamily): PortsInstalled {
  const paths = portsPaths(configRoot, family, false);
  const conf = readOr(paths.nftConf);
  const sysctl = readOr(paths.sysctlFile);
  const { inDir, inEtc } = nftFileCandidates(configRoot);
  const nftFile = [inDir, inEtc].find((f) => fs.existsSync(f));
  return {
    nftFile,
    includeLine: conf !== undefined && nftFile !== undefined && confHasOurInclude(conf, nftFile),
    liveTable: liveTable(),
    sysctlFile: sysctl === undefined ? undefined : { before: sysctlBefore(sysctl) },
  };
}

/** nftables.service loads nftables.conf at boot; undefined when systemctl cannot say. */
export function nftablesServiceEnabled(): boolean | undefined {
  const r = spawnSync('systemctl', ['is-enabled', 'nftables.service'], { encoding: 'utf8', timeout: 10_000 });
  if (r.error) return undefined;
  const word = r.stdout.trim();
  if (word === 'enabled') return true;
  if (word === 'disabled' || word === 'masked') return false;
  return undefined;
}

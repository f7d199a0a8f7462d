import * as path from 'node:path';
import { readFileIfExists, writeFileAtomic } from '../fsUtil';
import type { StoreCheck } from './trustCheck';
import { linuxAnchorFile, targetId, targetLabel, type CaNames, type TrustTarget } from './trustPlan';

/**
 * ca/trust.json: what `ca trust` added (so `ca untrust` removes exactly that) and the result of
 * the last verification (so the daemon can tell the editor whether the CA is trusted).
 */
export interface TrustRecord {
  version: 1;
  caFingerprint256: string;
  added: Array<{ id: string; label: string; at: string; target: TrustTarget }>;
  lastCheck?: TrustCheckRecord;
}

export interface TrustCheckRecord {
  at: string;
  caFingerprint256: string;
  stores: StoreCheck[];
}

export function trustRecordFile(caDir: string): string {
  return path.join(caDir, 'trust.json');
}

/** Reads the record for this CA; a record for another CA (the CA was replaced) is ignored. */
export function readTrustRecord(
  caDir: string,
  fingerprint256: string,
  names: CaNames,
): { record: TrustRecord; problem?: string } {
  const empty: TrustRecord = { version: 1, caFingerprint256: fingerprint256, added: [] };
  const text = readFileIfExists(trustRecordFile(caDir));
  if (!text) return { record: empty };
  let parsed: TrustRecord;
  try {
    parsed = JSON.parse(text) as TrustRecord;
  } catch {
    return {
      record: empty,
      problem: `${trustRecordFile(caDir)} is not valid JSON; it is ignored and rewritten by the next ca trust`,
    };
  }
  if (parsed?.version !== 1 || parsed.caFingerprint256 !== fingerprint256 || !Array.isArray(parsed.added)) {
    return {
      record: empty,
      problem:
        parsed?.caFingerprint256 && parsed.caFingerprint256 !== fingerprint256
          ? 'ca/trust.json belongs to an earlier CA; untrust that one by hand if it is still installed'
          : undefined,
    };
  }
  // Untrust may run commands with sudo from this file: accept only targets our own planner could
  // have produced, so an edited record cannot smuggle in other files or programs.
  const added = parsed.added
    .filter((a) => a && isPlausibleTarget(a.target, names))
    .map((a) => ({ ...a, id: targetId(a.target), label: targetLabel(a.target) }));
  return { record: { ...parsed, added } };
}

export function writeTrustRecord(caDir: string, record: TrustRecord): void {
  writeFileAtomic(trustRecordFile(caDir), JSON.stringify(record, null, 2) + '\n', 0o644);
}

function isPlausibleTarget(t: TrustTarget | undefined, names: CaNames): boolean {
  if (!t || typeof t !== 'object') return false;
  switch (t.store) {
    case 'linux':
      return ['debian', 'fedora', 'arch', 'suse'].includes(t.family) && t.file === linuxAnchorFile(t.family, names);
    case 'macos':
      return (
        t.keychain === 'login' || (t.keychain === 'system' && t.keychainFile === '/Library/Keychains/System.keychain')
      );
    case 'windows':
      return true;
    case 'wsl-windows':
      return typeof t.windowsFile === 'string' && (t.via === 'certutil.exe' || t.via === 'powershell.exe');
    case 'nss':
      return typeof t.dir === 'string' && (t.format === 'sql' || t.format === 'dbm');
    case 'java':
      return typeof t.keystore === 'string' && /^keytool(\.exe)?$/.test(path.basename(t.keytool ?? ''));
    default:
      return false;
  }
}

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readPermittedIpRanges, type LocalCa } from '../certs/localCa';
import { detectPlatform, type PlatformInfo } from './platform';
import { checkAll, type CheckEndpoint, type StoreCheck } from './trustCheck';
import { caNames, type CaNames } from './trustPlan';
import { readTrustRecord, trustRecordFile, writeTrustRecord, type TrustRecord } from './trustRecord';
import type { CaStatus } from './types';
import { shellQuote } from '../shellQuote';

export function namesOf(ca: LocalCa): CaNames {
  const cert = new crypto.X509Certificate(ca.certPem);
  return caNames(cert.fingerprint256, cert.fingerprint);
}

export function nodeExtraCaCertsLine(caFile: string, platform: NodeJS.Platform = process.platform): string {
  return platform === 'win32'
    ? `set NODE_EXTRA_CA_CERTS=${caFile}`
    : `export NODE_EXTRA_CA_CERTS=${shellQuote(caFile)}`;
}

/** Passing means: trusted somewhere, and not found untrusted in any store `ca trust` added to. */
export function isTrusted(record: TrustRecord, fingerprint256: string): boolean {
  const check = record.lastCheck;
  if (!check || check.caFingerprint256 !== fingerprint256) return false;
  const addedIds = new Set(record.added.map((a) => a.id));
  return (
    check.stores.some((s) => s.result === 'trusted') &&
    !check.stores.some((s) => addedIds.has(s.id) && s.result === 'not-trusted')
  );
}

/** What GET /v1/ca answers (CaStatus, trust/types.ts). */
export function caStatus(ca: LocalCa): CaStatus {
  const caDir = path.dirname(ca.files.certFile);
  const fingerprint256 = ca.fingerprint256();
  const { record, problem } = readTrustRecord(caDir, fingerprint256, namesOf(ca));
  const check = record.lastCheck?.caFingerprint256 === fingerprint256 ? record.lastCheck : undefined;
  return {
    certFile: ca.files.certFile,
    fingerprint256,
    permittedSuffixes: ca.permittedSuffixes,
    permittedIpRanges: readPermittedIpRanges(ca.certPem),
    nodeExtraCaCerts: `NODE_EXTRA_CA_CERTS=${ca.files.certFile}`,
    trusted: isTrusted(record, fingerprint256),
    added: record.added.map((a) => ({ id: a.id, kind: a.target.kind, label: a.label, at: a.at })),
    lastCheck: check ? { at: check.at, stores: check.stores } : null,
    ...(problem ? { problem } : {}),
  };
}

/** Checks the system store and every recorded store, and writes the result into ca/trust.json. */
export async function verifyAndRecord(
  ca: LocalCa,
  endpoint: CheckEndpoint | undefined,
  platform: PlatformInfo = detectPlatform(),
): Promise<{ record: TrustRecord; stores: StoreCheck[] }> {
  const caDir = path.dirname(ca.files.certFile);
  const fingerprint256 = ca.fingerprint256();
  const names = namesOf(ca);
  const { record } = readTrustRecord(caDir, fingerprint256, names);
  const stores = await checkAll(
    record.added.map((a) => a.target),
    { caPem: ca.certPem, caFile: ca.files.certFile, names, platform, endpoint },
  );
  record.lastCheck = { at: new Date().toISOString(), caFingerprint256: fingerprint256, stores };
  writeTrustRecord(caDir, record);
  return { record, stores };
}

/**
 * Calls onChange when ca/trust.json changes (written by the CLI in another process). Watching
 * the directory catches the atomic rename; events are coalesced.
 */
export function watchTrustRecord(caDir: string, onChange: () => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  let watcher: fs.FSWatcher | undefined;
  const file = path.basename(trustRecordFile(caDir));
  try {
    watcher = fs.watch(caDir, { persistent: false }, (_event, name) => {
      if (name && String(name) !== file) return;
      clearTimeout(timer);
      timer = setTimeout(onChange, 50);
    });
    watcher.on('error', () => undefined);
  } catch {
    // No watching (e.g. the directory vanished): clients still get the state from GET /v1/ca.
  }
  return () => {
    clearTimeout(timer);
    watcher?.close();
  };
}

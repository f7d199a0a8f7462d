// A real browser for the trust tests: Debian's chromium driven by playwright-core, and NSS's
// certutil (libnss3-tools) to give a test HOME its own certificate database.
import { spawnSync } from 'node:child_process';
import { hasPackage } from './packages.mjs';
import { missing } from './util.mjs';

export const CHROMIUM = '/usr/bin/chromium';

export async function setup() {
  if (!hasPackage('chromium')) return missing('chromium', 'Debian package chromium is not installed');
  if (!hasPackage('libnss3-tools'))
    return missing('chromium', 'certutil (Debian package libnss3-tools) is not installed');
  const version = spawnSync(CHROMIUM, ['--version'], { encoding: 'utf8', timeout: 30000 });
  if (version.status !== 0)
    return missing('chromium', `${CHROMIUM} --version failed: ${(version.stderr || '').trim()}`);
  return { env: { CHS_CHROMIUM: CHROMIUM }, stop: async () => {} };
}

// A real browser for the trust tests: Debian's chromium driven by playwright-core, and NSS's
// certutil (libnss3-tools) to give a test HOME its own certificate database.
import { spawnSync } from 'node:child_process';
import { aptInstall, has, missing } from './util.mjs';

export const CHROMIUM = '/usr/bin/chromium';

export async function setup() {
  if (!aptInstall(['chromium', 'libnss3-tools'], { needs: [CHROMIUM, 'certutil'] })) {
    return missing('chromium', 'chromium and libnss3-tools (certutil) are not installed and could not be installed with apt-get');
  }
  if (!has('certutil')) return missing('chromium', 'certutil (libnss3-tools) is missing after install');
  const version = spawnSync(CHROMIUM, ['--version'], { encoding: 'utf8', timeout: 30000 });
  if (version.status !== 0) return missing('chromium', `${CHROMIUM} --version failed: ${(version.stderr || '').trim()}`);
  return { env: { CHS_CHROMIUM: CHROMIUM }, stop: async () => {} };
}

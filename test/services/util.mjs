// Shared bits for service setup: run a command, install Debian packages on demand.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const isCI = process.env.CI === 'true' || process.env.CI === '1';

export function log(msg) {
  process.stderr.write(`[services] ${msg}\n`);
}

export function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

let aptUpdated = false;
/** Installs Debian packages when a command is missing. Root only; says so otherwise. */
export function aptInstall(packages, { needs } = {}) {
  if (needs && needs.every((p) => existsSync(p) || has(p))) return true;
  if (process.getuid?.() !== 0) {
    log(`missing ${needs?.join(', ') ?? packages.join(', ')}: install with sudo apt-get install -y ${packages.join(' ')}`);
    return false;
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    log('apt-get update');
    spawnSync('apt-get', ['update', '-q'], { stdio: ['ignore', 'ignore', 'inherit'], env });
    aptUpdated = true;
  }
  log(`apt-get install ${packages.join(' ')}`);
  const r = spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...packages], { stdio: ['ignore', 'ignore', 'inherit'], env });
  return r.status === 0;
}

export async function waitFor(check, { timeoutMs = 30000, intervalMs = 200 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A service that is missing: with CI=true that fails the run; locally its tests skip, loudly. */
export function missing(name, why) {
  const msg = `${name} is not available: ${why}`;
  if (isCI) throw new Error(`${msg} (CI=true: a missing service is a failure)`);
  log(`${msg} — its tests will be skipped (set CI=true to make this fatal)`);
  return { env: { [`CHS_TEST_NO_${name.toUpperCase()}`]: why }, stop: async () => {} };
}

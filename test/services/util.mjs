// Shared bits for service setup (Debian packages are test/services/packages.mjs's).

export const isCI = process.env.CI === 'true' || process.env.CI === '1';

export function log(msg) {
  process.stderr.write(`[services] ${msg}\n`);
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

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The repository root, found from the compiled test's location (out/test/...). */
export const ROOT = (() => {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
})();

export const CLI = path.join(ROOT, 'dist', 'cli.js');
/** The project's shared/ folder (test data such as Traefik's schemas): beside the checkout, as in CI. */
export const SHARED = process.env.CHS_SHARED_DIR
  ? path.resolve(process.env.CHS_SHARED_DIR)
  : path.resolve(ROOT, '..', 'shared');

export function tempDir(prefix = 'chs-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * Why a service-backed test cannot run here, or undefined when it can. The services setup sets
 * CHS_TEST_NO_<NAME> when a service is missing outside CI (in CI a missing service fails setup).
 */
export function serviceMissing(name: 'docker' | 'pebble' | 'chromium' | 'podman'): string | undefined {
  return process.env[`CHS_TEST_NO_${name.toUpperCase()}`];
}

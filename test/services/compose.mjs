// Debian's docker-compose (v1, Python): its `config` command checks generated compose files
// against the compose schema with a YAML 1.1 reader, the strictest reader users still run.
import { hasPackage } from './packages.mjs';
import { missing } from './util.mjs';

export async function setup() {
  if (!hasPackage('docker-compose')) return missing('compose', "Debian's docker-compose package is not installed");
  return { env: {}, stop: async () => {} };
}

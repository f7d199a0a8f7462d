// Debian's docker-compose (v1, Python): its `config` command checks generated compose files
// against the compose schema with a YAML 1.1 reader, the strictest reader users still run.
import { aptInstall, has, missing } from './util.mjs';

export async function setup() {
  if (!has('docker-compose') && !aptInstall(['docker-compose'], { needs: ['docker-compose'] })) {
    return missing('compose', 'docker-compose is not installed and Debian\'s docker-compose package could not be installed');
  }
  return { env: {}, stop: async () => {} };
}

// Pebble, Let's Encrypt's ACME test server (Debian package `pebble`), for the ACME tests. Only
// installed here: each ACME suite starts its own Pebble with a config, DNS responder and TLS
// certificate it writes itself (test/acme/pebble.ts), so suites never share CA state.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { aptInstall, missing } from './util.mjs';

const PEBBLE = '/usr/bin/pebble';

export async function setup() {
  if (!existsSync(PEBBLE) && !aptInstall(['pebble'], { needs: [PEBBLE] })) return missing('pebble', 'Debian package pebble is not installed and could not be installed');
  if (!existsSync(PEBBLE)) return missing('pebble', `${PEBBLE} is missing after installing the pebble package`);
  if (spawnSync('openssl', ['version'], { stdio: 'ignore' }).status !== 0 && !aptInstall(['openssl'], { needs: ['openssl'] })) {
    return missing('pebble', 'openssl (to make Pebble\'s own TLS certificate) is missing');
  }
  return { env: { CHS_PEBBLE_BIN: PEBBLE }, stop: async () => {} };
}

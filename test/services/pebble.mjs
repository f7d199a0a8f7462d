// Pebble, Let's Encrypt's ACME test server (Debian package `pebble`, installed by packages.mjs),
// for the ACME tests. Only checked here: each ACME suite starts its own Pebble with a config, DNS
// responder and TLS certificate it writes itself (test/acme/pebble.ts), so suites never share CA
// state.
import { hasPackage } from './packages.mjs';
import { missing } from './util.mjs';

const PEBBLE = '/usr/bin/pebble';

export async function setup() {
  if (!hasPackage('pebble')) return missing('pebble', 'Debian package pebble is not installed');
  if (!hasPackage('openssl'))
    return missing('pebble', "openssl (to make Pebble's own TLS certificate) is not installed");
  return { env: { CHS_PEBBLE_BIN: PEBBLE }, stop: async () => {} };
}

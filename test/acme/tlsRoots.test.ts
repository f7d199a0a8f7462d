import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { trustedRoots } from '../../proxy-core/src/tlsRoots';
import { tempDir } from '../support/env';

test('trustedRoots: the default store as it is, or the public roots plus NODE_EXTRA_CA_CERTS plus the extra root', () => {
  assert.equal(
    trustedRoots(undefined, {}),
    undefined,
    "no extra root: Node's own store (which reads NODE_EXTRA_CA_CERTS itself)",
  );
  const file = path.join(tempDir(), 'extra.pem');
  fs.writeFileSync(file, '-----BEGIN CERTIFICATE-----\nfrom the environment\n-----END CERTIFICATE-----\n');
  const roots = trustedRoots('acme-ca-file root', { NODE_EXTRA_CA_CERTS: file })!;
  assert.equal(roots.length, tls.rootCertificates.length + 2);
  assert.ok(roots.includes(fs.readFileSync(file, 'utf8')));
  assert.equal(roots[roots.length - 1], 'acme-ca-file root');
  // An unreadable NODE_EXTRA_CA_CERTS is skipped, as Node skips it (with a warning of its own).
  assert.equal(
    trustedRoots('x', { NODE_EXTRA_CA_CERTS: path.join(file, 'missing') })!.length,
    tls.rootCertificates.length + 1,
  );
});

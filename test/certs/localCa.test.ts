import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  LocalCa,
  readPermittedDnsNames,
  readPermittedIpRanges,
  DEFAULT_SUFFIXES,
} from '../../proxy-core/src/certs/localCa';
import { tempDir } from '../support/env';

test('the root is ECDSA P-256 / SHA-256, a CA, name-constrained, with its key 0600', async () => {
  const dir = path.join(tempDir(), 'ca');
  const { ca, created } = await LocalCa.loadOrCreate(dir);
  assert.equal(created, true);
  const root = new crypto.X509Certificate(ca.certPem);
  assert.equal(root.ca, true);
  assert.equal(root.publicKey.asymmetricKeyType, 'ec');
  assert.equal(root.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.equal(root.verify(root.publicKey), true);
  assert.deepEqual(readPermittedDnsNames(ca.certPem), DEFAULT_SUFFIXES);
  assert.deepEqual(readPermittedIpRanges(ca.certPem), ['127.0.0.0/8', '::1/128']);
  const text = spawnSync('openssl', ['x509', '-noout', '-text'], { input: ca.certPem, encoding: 'utf8' }).stdout;
  assert.match(text, /Signature Algorithm: ecdsa-with-SHA256/);
  assert.match(text, /X509v3 Name Constraints: critical/);
  assert.equal(fs.statSync(path.join(dir, 'root.key')).mode & 0o777, 0o600);
  const years = (Date.parse(root.validTo) - Date.now()) / (365 * 24 * 3600 * 1000);
  assert.ok(years > 9.9 && years < 10.1, `root lifetime ${years} years`);
});

test('an existing CA is reused; custom suffixes are written into the constraints', async () => {
  const dir = path.join(tempDir(), 'ca');
  const first = await LocalCa.loadOrCreate(dir, { suffixes: ['localhost', 'corp.internal'] });
  const again = await LocalCa.loadOrCreate(dir, { suffixes: ['other'] });
  assert.equal(again.created, false);
  assert.equal(again.ca.certPem, first.ca.certPem);
  assert.deepEqual(again.ca.permittedSuffixes, ['localhost', 'corp.internal']);
  assert.equal(again.ca.permits('api.corp.internal'), true);
  assert.equal(again.ca.permits('corp.internal.evil.com'), false);
  assert.equal(again.ca.permits('xcorp.internal'), false);
});

test('leaves: ECDSA P-256, SAN = host, 90 days, chain to the root (openssl verify)', async () => {
  const dir = path.join(tempDir(), 'ca');
  const { ca } = await LocalCa.loadOrCreate(dir);
  const leaf = await ca.issueLeaf('app.localhost');
  const cert = new crypto.X509Certificate(leaf.certPem);
  const root = new crypto.X509Certificate(ca.certPem);
  assert.equal(cert.subjectAltName, 'DNS:app.localhost');
  assert.equal(cert.checkIssued(root), true);
  assert.equal(cert.verify(root.publicKey), true);
  assert.equal(cert.ca, false);
  assert.equal(cert.checkHost('app.localhost'), 'app.localhost');
  assert.equal(cert.checkHost('other.localhost'), undefined);
  const days = (Date.parse(cert.validTo) - Date.now()) / 86400_000;
  assert.ok(days > 89.9 && days <= 90, `leaf lifetime ${days} days`);
  const key = crypto.createPrivateKey(leaf.keyPem);
  assert.equal(key.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  const files = tempDir();
  fs.writeFileSync(path.join(files, 'root.pem'), ca.certPem);
  fs.writeFileSync(path.join(files, 'leaf.pem'), leaf.certPem);
  const verify = spawnSync(
    'openssl',
    [
      'verify',
      '-x509_strict',
      '-purpose',
      'sslserver',
      '-CAfile',
      path.join(files, 'root.pem'),
      path.join(files, 'leaf.pem'),
    ],
    { encoding: 'utf8' },
  );
  assert.equal(verify.status, 0, verify.stderr + verify.stdout);
  assert.match(verify.stdout, /OK/);
});

test('names outside the permitted suffixes are refused, pointing to ACME', async () => {
  const { ca } = await LocalCa.loadOrCreate(path.join(tempDir(), 'ca'));
  await assert.rejects(ca.issueLeaf('example.com'), /outside the local CA's allowed names.*--acme/);
  await assert.rejects(ca.issueLeaf('localhost.example.com'), /outside/);
});

test('name constraints are enforced by a verifier: a leaf for a public name signed by the CA fails openssl verify', async () => {
  const dir = path.join(tempDir(), 'ca');
  await LocalCa.loadOrCreate(dir);
  // Sign a public name with the CA key directly, as an attacker holding the key would.
  const files = tempDir();
  const key = path.join(files, 'evil.key');
  const csr = path.join(files, 'evil.csr');
  const crt = path.join(files, 'evil.pem');
  const ext = path.join(files, 'ext.cnf');
  fs.writeFileSync(
    ext,
    'subjectAltName=DNS:www.example.com\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n',
  );
  const run = (args: string[]) => spawnSync('openssl', args, { encoding: 'utf8' });
  assert.equal(
    run([
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-subj',
      '/CN=www.example.com',
      '-keyout',
      key,
      '-out',
      csr,
    ]).status,
    0,
  );
  assert.equal(
    run([
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      path.join(dir, 'root.pem'),
      '-CAkey',
      path.join(dir, 'root.key'),
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      ext,
      '-out',
      crt,
    ]).status,
    0,
  );
  const verify = run(['verify', '-CAfile', path.join(dir, 'root.pem'), crt]);
  assert.notEqual(verify.status, 0);
  assert.match(verify.stdout + verify.stderr, /permitted subtree violation/);
});

test('an incomplete CA directory is an error, never silently replaced', async () => {
  const dir = path.join(tempDir(), 'ca');
  await LocalCa.loadOrCreate(dir);
  fs.rmSync(path.join(dir, 'root.key'));
  await assert.rejects(LocalCa.loadOrCreate(dir), /incomplete \(root.key is missing\)/);
  assert.ok(fs.existsSync(path.join(dir, 'root.pem')), 'the root is kept');
});

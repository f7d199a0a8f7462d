import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseRetryAfter } from '../../proxy-core/src/acme/acmeErrors';
import { lifetimePlan } from '../../proxy-core/src/acme/acmeIssuer';
import { runDnsHook } from '../../proxy-core/src/acme/dnsHook';
import {
  LETSENCRYPT_PRODUCTION,
  LETSENCRYPT_STAGING,
  directoryHash,
  resolveDirectoryUrl,
} from '../../proxy-core/src/acme/directoryUrl';
import { DEFAULT_RETRY } from '../../proxy-core/src/acme/renewalScheduler';
import { tempDir } from '../support/env';

describe('ACME settings and small rules', () => {
  test("directory: Let's Encrypt production by default, staging by alias, any https URL, nothing else", () => {
    assert.equal(resolveDirectoryUrl(undefined), LETSENCRYPT_PRODUCTION);
    assert.equal(resolveDirectoryUrl(''), LETSENCRYPT_PRODUCTION);
    assert.equal(resolveDirectoryUrl('staging'), LETSENCRYPT_STAGING);
    assert.equal(resolveDirectoryUrl('letsencrypt-staging'), LETSENCRYPT_STAGING);
    assert.equal(resolveDirectoryUrl('https://ca.example.com/acme/directory'), 'https://ca.example.com/acme/directory');
    assert.throws(() => resolveDirectoryUrl('http://ca.example.com/dir'), /must be served over https/);
    assert.throws(() => resolveDirectoryUrl('not a url'), /must be an https:\/\/ URL or one of/);
    assert.notEqual(directoryHash(LETSENCRYPT_PRODUCTION), directoryHash(LETSENCRYPT_STAGING));
    assert.match(directoryHash(LETSENCRYPT_PRODUCTION), /^[0-9a-f]{16}$/);
  });

  test('Retry-After: seconds or an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('120', now), 120_000);
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 01:00:00 GMT', now), 3600_000);
    assert.equal(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter(undefined, now), undefined);
    assert.equal(parseRetryAfter('soon', now), undefined);
  });

  test('without ARI: renew when one third of the lifetime is left (day 60 of 90)', () => {
    const plan = lifetimePlan('2026-01-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z');
    assert.equal(plan.at.toISOString(), '2026-03-02T00:00:00.000Z');
    assert.equal(plan.basis, 'lifetime');
  });

  test("the default backoff keeps failures under Let's Encrypt's 5 failed validations per name per hour", () => {
    const attempts = [0];
    for (let n = 1; attempts.length < 12; n++)
      attempts.push(attempts[attempts.length - 1] + Math.min(DEFAULT_RETRY.maxMs, DEFAULT_RETRY.minMs * 2 ** (n - 1)));
    for (const start of attempts) assert.ok(attempts.filter((t) => t >= start && t < start + 3600_000).length <= 4);
  });

  test('the DNS hook gets its values as arguments, never as shell text', async () => {
    const dir = tempDir('chs-hook-');
    const out = path.join(dir, 'out');
    const marker = path.join(dir, 'pwned');
    try {
      await runDnsHook(`printf '%s\\n' >> '${out}'`, 'present', 'a.example.com', `v$(touch ${marker})`);
      assert.deepEqual(fs.readFileSync(out, 'utf8').trim().split('\n'), [
        'present',
        '_acme-challenge.a.example.com.',
        `v$(touch ${marker})`,
      ]);
      assert.equal(fs.existsSync(marker), false);
      await assert.rejects(runDnsHook('false', 'cleanup', 'a.example.com', 'v'), /exited with 1/);
      await assert.rejects(
        runDnsHook('sleep 5; :', 'present', 'a.example.com', 'v', 200),
        /was stopped \(SIGTERM, after 0\.2 s\)/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

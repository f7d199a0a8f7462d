import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ENTRY_WEB, ENTRY_WEBSECURE, RESOLVER, entryPointName, traefikName } from '../../proxy-core/src/traefik/names';

describe('traefik names', () => {
  it('the names the generated configuration uses', () => {
    assert.equal(RESOLVER, 'letsencrypt');
    assert.equal(ENTRY_WEB, 'web');
    assert.equal(ENTRY_WEBSECURE, 'websecure');
  });

  it('v1 entry points http and https become web and websecure; others keep their name', () => {
    assert.equal(entryPointName('http'), 'web');
    assert.equal(entryPointName('HTTPS'), 'websecure');
    assert.equal(entryPointName('admin'), 'admin');
  });

  it('router and service names fit in a label key segment', () => {
    assert.equal(traefikName('my.app'), 'my-app');
    assert.equal(traefikName(' -web_1- '), 'web_1');
    assert.throws(() => traefikName('...'), /cannot be used as a Traefik router or service name/);
  });
});

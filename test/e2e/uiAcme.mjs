// Let's Encrypt from the editor, against a real Pebble doing real HTTP-01 validation: the
// workbench is configured with an ACME e-mail and directory (Pebble's), the user right-clicks the
// container → Expose over HTTPS…, types a public name, accepts the CA's terms of service in the
// modal the extension shows, and the URL then answers with a certificate that chains to Pebble's
// root (verified against it, never with verification off).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  ROOT,
  answerPathStep,
  control,
  fetchVerified,
  log,
  rightClickExpose,
  startComposeContainer,
  uniqueName,
  withWorkbench,
} from './lib.mjs';

const require = createRequire(import.meta.url);

export async function runUiAcme({ bin, vsix }) {
  const started = Date.now();
  // The Pebble harness of the ACME suites (test/acme/pebble.ts, compiled by tsc).
  const { startPebble } = require(join(ROOT, 'out/test/acme/pebble.js'));
  const project = uniqueName('chs-acme');
  const host = `${project}.example.com`;
  const pebble = await startPebble();
  try {
    await withWorkbench(
      {
        bin,
        vsix,
        prefix: 'chs-ui-acme-',
        setup: () => ({ container: startComposeContainer(project) }),
        settings: {
          // Pebble validates HTTP-01 on its httpPort and connects to names through its DNS, which
          // answers 127.0.0.1: the proxy must listen exactly there.
          'containerHttps.proxy.httpsPort': pebble.tlsPort,
          'containerHttps.proxy.httpPort': pebble.httpPort,
          'containerHttps.acme.email': 'dev@example.com',
          'containerHttps.acme.directory': pebble.directoryUrl,
          'containerHttps.acme.challenge': 'http-01',
        },
        // The proxy the editor starts inherits this, so it trusts Pebble's own HTTPS listener (the
        // test's stand-in for the public CAs that Let's Encrypt's directory is signed by).
        env: { NODE_EXTRA_CA_CERTS: pebble.trustFile },
        afterClose: ({ container }) => container?.remove(),
      },
      async ({ page, server, stateDir, workspace, container }) => {
        const { input } = await rightClickExpose(page, server.url, workspace, container.name);
        await input.fill(host);
        // The box says where the certificate will come from before the user presses Enter.
        await page.locator('.quick-input-widget').filter({ hasText: "Let's Encrypt" }).waitFor({ timeout: 30_000 });
        await input.press('Enter');
        await answerPathStep(page, input);

        // Pebble, like Let's Encrypt, wants its terms accepted first: the extension asks in a modal.
        const terms = page.locator('.monaco-dialog-box').filter({ hasText: 'terms of service' });
        await terms.waitFor({ timeout: 60_000 });
        await terms.getByRole('button', { name: 'Accept', exact: true }).click();

        const toast = page.locator('.notification-toast').filter({ hasText: `https://${host}:` });
        await toast.waitFor({ timeout: 120_000 });

        const daemon = await control(stateDir, 'GET', '/v1/status');
        assert.equal(daemon.acme.enabled, true);
        const res = await fetchVerified(host, daemon.https.port, pebble.trustFile);
        assert.equal(res.authorized, true);
        assert.equal(res.status, 200);
        assert.match(res.body, /^hello/);
        assert.match(res.issuer, /Pebble/i);
        const certs = await control(stateDir, 'GET', '/v1/certs');
        const cert = certs.certs.find((c) => c.host === host);
        assert.equal(cert?.issuer, 'acme');
      },
    );
    const wallS = (Date.now() - started) / 1000;
    log(`ui: Let's Encrypt (Pebble, HTTP-01) from the editor for ${host}; wall time ${wallS.toFixed(1)} s`);
    return { wallS, host };
  } finally {
    await pebble.stop();
  }
}

/** Settings every editor test workbench uses: its own state dir and free ports, never the user's daemon. */
export function testSettings(stateDir: string): Record<string, unknown> {
  return {
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'containerHttps.stateDir': stateDir,
    'containerHttps.proxy.httpsPort': 0,
    'containerHttps.proxy.httpPort': 0,
    // The suites expose containers themselves and count what they exposed; automatic names
    // (tested in test/docker/autoDomainsEngine.test.ts) would add a name for every compose
    // container on the shared engine, other test runs' included.
    'containerHttps.autoDomains': 'off',
    // The offer is a notification; suites that did not ask for it must not meet it.
    'containerHttps.proxy.offerStandardPorts': false,
  };
}

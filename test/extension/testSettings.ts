/** Settings every editor test workbench uses: its own state dir and free ports, never the user's daemon. */
export function testSettings(stateDir: string): Record<string, unknown> {
  return {
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'containerHttps.stateDir': stateDir,
    'containerHttps.proxy.httpsPort': 0,
    'containerHttps.proxy.httpPort': 0,
  };
}

import * as https from 'node:https';

export interface ProbeResult {
  ok: boolean;
  status?: number;
  error?: string;
}

/**
 * One HTTPS request to a route through the proxy, verified against the given CA (the way a
 * browser that trusts our CA would see it). 502-504 mean the proxy answered but the target did not.
 */
export function probeRoute(opts: { host: string; port: number; connectTo: string; /** Undefined: Node's default store. */ ca: string | string[] | undefined; timeoutMs?: number }): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const req = https.request(
      {
        host: opts.connectTo,
        port: opts.port,
        servername: opts.host,
        headers: { host: `${opts.host}:${opts.port}`, 'user-agent': 'container-https-probe' },
        path: '/',
        method: 'GET',
        ca: opts.ca,
        agent: false,
        timeout: opts.timeoutMs ?? 5000,
      },
      (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        resolve({ ok: status < 502 || status > 504, status });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) => resolve({ ok: false, error: err.message }));
    req.end();
  });
}

export async function waitForRoute(opts: Parameters<typeof probeRoute>[0] & { waitMs: number }): Promise<ProbeResult> {
  const deadline = Date.now() + opts.waitMs;
  let delay = 20;
  for (;;) {
    const result = await probeRoute(opts);
    if (result.ok || Date.now() + delay > deadline) return result;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 500);
  }
}

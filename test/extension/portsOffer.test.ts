import * as assert from 'node:assert/strict';
import { PortsOffer, type PortsOfferDeps } from '../../extension/portsOffer';
import { ProxyState } from '../../extension/proxyState';
import type { DaemonStatus, PortsMode, RouteView } from '../../proxy-core/src/control/apiTypes';

const ROUTE = {
  host: 'a.localhost',
  target: 'http://127.0.0.1:5000',
  tls: 'local',
  source: 'user',
  createdAt: new Date().toISOString(),
  url: 'https://a.localhost:8443/',
  effectiveRule: 'Host(`a.localhost`)',
  effectivePriority: 18,
  status: 'ready',
} as RouteView;

function status(mode: PortsMode): DaemonStatus {
  return {
    https: { bind: '127.0.0.1', port: 8443 },
    ports: { mode, publicHttpsPort: mode === 'standard' ? 443 : 8443, detail: '', checkedAt: '' },
  } as DaemonStatus;
}

/** The notification's answer is scripted (a workbench cannot click its own notifications from inside). */
function offer(answer: string | undefined, enabled = true) {
  const asked: string[][] = [];
  const calls = { setUp: 0, disabled: 0 };
  const state = new ProxyState();
  const deps: PortsOfferDeps = {
    ask: async (message, ...choices) => {
      asked.push([message, ...choices]);
      return answer;
    },
    setUp: () => calls.setUp++,
    enabled: () => enabled,
    disable: async () => {
      calls.disabled++;
    },
  };
  return { offer: new PortsOffer(state, deps), state, asked, calls };
}

describe('Offer of ports setup (no port in URLs), scripted answers', function () {
  it("asks once, with Set Up / Not Now / Don't Ask Again, only while URLs carry a port and there is a route", async function () {
    const o = offer('Not Now');
    o.state.update({ status: status('standard'), routes: [ROUTE] });
    await o.offer.maybeOffer();
    o.state.update({ status: status('own-port'), routes: [] });
    await o.offer.maybeOffer();
    assert.equal(o.asked.length, 0, 'no offer on standard ports or without a route');
    o.state.update({ routes: [ROUTE] });
    await o.offer.maybeOffer();
    await o.offer.maybeOffer();
    assert.equal(o.asked.length, 1, 'Not Now: not asked again in this window');
    assert.deepEqual(o.asked[0].slice(1), ['Set Up', 'Not Now', "Don't Ask Again"]);
    assert.match(o.asked[0][0], /end in :8443\. Serve https:\/\/NAME\.localhost\/ without a port\?/);
    assert.deepEqual(o.calls, { setUp: 0, disabled: 0 });
    o.offer.dispose();
    o.state.dispose();
  });

  it("Set Up runs ports setup (in a terminal); Don't Ask Again turns the setting off; the setting off asks nothing", async function () {
    const setUp = offer('Set Up');
    setUp.state.update({ status: status('own-port'), routes: [ROUTE] });
    await setUp.offer.maybeOffer();
    assert.deepEqual(setUp.calls, { setUp: 1, disabled: 0 });
    const never = offer("Don't Ask Again");
    never.state.update({ status: status('own-port'), routes: [ROUTE] });
    await never.offer.maybeOffer();
    assert.deepEqual(never.calls, { setUp: 0, disabled: 1 });
    const off = offer('Set Up', false);
    off.state.update({ status: status('own-port'), routes: [ROUTE] });
    await off.offer.maybeOffer();
    assert.equal(off.asked.length, 0);
    for (const o of [setUp, never, off]) {
      o.offer.dispose();
      o.state.dispose();
    }
  });
});

import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import * as vscode from 'vscode';
import { attachOrStart } from '../../extension/daemonLauncher';
import { ProxyState, tcpPorts } from '../../extension/proxyState';
import { statusModel } from '../../extension/statusBar';
import type { CertMeta } from '../../proxy-core/src/certs/certStore';
import type { DaemonStatus } from '../../proxy-core/src/control/apiTypes';
import type { RouteView } from '../../proxy-core/src/routes/types';
import { activateExtension, waitFor } from './helpers';

const DAY = 24 * 3600 * 1000;

function route(host: string, tls: 'local' | 'acme' = 'local'): RouteView {
  return {
    host,
    target: 'http://127.0.0.1:5000',
    tls,
    source: 'user',
    createdAt: new Date().toISOString(),
    url: `https://${host}:8443/`,
    effectiveRule: `Host(\`${host}\`)`,
    effectivePriority: host.length + 7,
    status: 'ready',
  };
}
function cert(host: string, notAfter: Date, extra: Partial<CertMeta> = {}): CertMeta {
  return {
    host,
    issuer: 'local',
    issuerName: 'Container HTTPS local CA',
    hosts: [host],
    notBefore: new Date().toISOString(),
    notAfter: notAfter.toISOString(),
    fingerprint256: 'AA',
    ...extra,
  };
}

describe('Container HTTPS status bar and start failures', function () {
  it('status model: healthy hosts are `$(lock) N` without warnings once the CA is trusted', function () {
    const s = new ProxyState();
    s.update({
      connection: { state: 'connected' },
      routes: [route('a.localhost'), route('b.localhost')],
      certs: [
        cert('a.localhost', new Date(Date.now() + 80 * DAY)),
        cert('b.localhost', new Date(Date.now() + 80 * DAY)),
      ],
      caTrust: { state: 'trusted' },
    });
    const m = statusModel(s);
    assert.equal(m.text, '$(lock) 2');
    assert.deepEqual(m.warnings, []);
    assert.match(m.tooltip, /a\.localhost[\s\S]*b\.localhost/);
    s.dispose();
  });

  it('status model: routes on the LAN are counted ($(broadcast) N) and listed with the interface, all the time they are', function () {
    const s = new ProxyState();
    const lan = {
      enabled: true,
      interfaceChoice: 'auto',
      interface: { name: 'wlan0', ipv4: '192.168.1.20' },
      listening: true,
      httpsPort: 8443,
      httpPort: 8080,
      shares: [
        {
          host: 'a.localhost',
          name: 'a.local',
          url: 'https://a.local:8443/',
          authUser: 'bob',
          createdAt: new Date().toISOString(),
        },
      ],
    };
    s.update({
      connection: { state: 'connected' },
      routes: [route('a.localhost'), route('b.localhost')],
      certs: [
        cert('a.localhost', new Date(Date.now() + 80 * DAY)),
        cert('b.localhost', new Date(Date.now() + 80 * DAY)),
      ],
      caTrust: { state: 'trusted' },
      status: { lan } as never,
    });
    const m = statusModel(s);
    assert.equal(m.text, '$(lock) 2 $(broadcast) 1');
    assert.deepEqual(m.lanShares, ['https://a.local:8443/']);
    assert.match(
      m.tooltip,
      /On the LAN\*\* \(wlan0 192\.168\.1\.20\):\n- https:\/\/a\.local:8443\/ → a\.localhost \(basic auth\)/,
    );
    s.update({ status: { lan: { ...lan, shares: [], listening: false } } as never });
    assert.equal(statusModel(s).text, '$(lock) 2');
    s.dispose();
  });

  it('status model: a note says why containers are reached by their published ports (rootless, Docker Desktop)', function () {
    const why = 'the engine is rootless, so container IPs are not reachable from here';
    const s = new ProxyState();
    s.update({
      connection: { state: 'connected' },
      routes: [],
      certs: [],
      caTrust: { state: 'trusted' },
      status: {
        docker: { enabled: true, labels: true, connected: true, address: 'published', addressWhy: why },
      } as never,
    });
    const m = statusModel(s);
    assert.deepEqual(m.warnings, []);
    assert.deepEqual(m.notes, [`Containers are reached by their published ports: ${why}`]);
    assert.match(m.tooltip, /published ports: the engine is rootless/);
    s.update({ status: { docker: { enabled: true, labels: true, connected: true, address: 'ip' } } as never });
    assert.deepEqual(statusModel(s).notes, []);
    s.dispose();
  });

  it('status model: warns for an untrusted CA, a certificate expiring within 7 days, and a failed ACME order', function () {
    const s = new ProxyState();
    s.update({
      connection: { state: 'connected' },
      routes: [route('soon.localhost')],
      certs: [cert('soon.localhost', new Date(Date.now() + 3 * DAY))],
      caTrust: { state: 'trusted' },
    });
    assert.match(statusModel(s).text, /^\$\(lock\) 1 \$\(warning\) cert expiring$/);
    s.update({
      routes: [route('app.example.com', 'acme')],
      certs: [
        cert('app.example.com', new Date(Date.now() + 60 * DAY), {
          issuer: 'acme',
          lastError: 'urn:ietf:params:acme:error:connection',
        }),
      ],
    });
    assert.match(statusModel(s).text, /ACME failed/);
    assert.match(statusModel(s).tooltip, /ACME order failed/);
    s.update({ routes: [], certs: [], caTrust: { state: 'untrusted', detail: 'not trusted in NSS' } });
    const m = statusModel(s);
    assert.equal(m.text, '$(lock) 0 $(warning) CA not trusted');
    assert.match(m.warnings[0], /Trust Local CA/);
    s.dispose();
  });

  it('status model: another program holding 443 is a warning naming it, never silent (URLs keep the proxy port)', function () {
    const s = new ProxyState();
    const detail =
      "port 443 is held by nginx (pid 812, user www-data) on 0.0.0.0:443 (127.0.0.1:443 answers with a certificate that is not from this proxy's CA); this proxy stays on :8443. Stop that program, or move it off 443, then run: container-https ports check";
    s.update({
      connection: { state: 'connected' },
      routes: [route('a.localhost')],
      certs: [cert('a.localhost', new Date(Date.now() + 80 * DAY))],
      caTrust: { state: 'trusted' },
      status: {
        ports: { mode: 'held', publicHttpsPort: 8443, detail, checkedAt: new Date().toISOString() },
      } as DaemonStatus,
    });
    const m = statusModel(s);
    assert.equal(m.text, '$(lock) 1 $(warning) 443 held');
    assert.deepEqual(m.warnings, [detail]);
    assert.match(m.tooltip, /nginx \(pid 812, user www-data\)/);
    s.update({
      status: { ports: { mode: 'standard', publicHttpsPort: 443, detail: 'ok', checkedAt: '' } } as DaemonStatus,
    });
    assert.equal(statusModel(s).text, '$(lock) 1');
    s.dispose();
  });

  it('tree model: one port row per container port, though Docker lists a binding per address family', function () {
    const ports = tcpPorts({
      id: 'x',
      name: 'x',
      image: 'i',
      state: 'running',
      status: 'Up',
      networks: [],
      labels: {},
      ports: [
        { containerPort: 8000, protocol: 'tcp', hostIp: '::', hostPort: 49153 },
        { containerPort: 8000, protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 49153 },
        { containerPort: 53, protocol: 'udp' },
        { containerPort: 443, protocol: 'tcp' },
      ],
    });
    assert.deepEqual(
      ports.map((p) => [p.containerPort, p.hostIp]),
      [
        [443, undefined],
        [8000, '0.0.0.0'],
      ],
    );
  });

  it('another window attaches to the running proxy instead of starting a second one', async function () {
    const api = await activateExtension();
    await api.ctx.api();
    const running = api.ctx.state.status!;
    const lines: string[] = [];
    const other = await attachOrStart({
      stateDir: api.ctx.config.stateDir,
      cliPath: api.ctx.cliPath,
      args: api.ctx.config.serveArgs(),
      env: {},
      log: (l) => lines.push(l),
    });
    assert.equal(other.started, false);
    assert.equal(other.status.pid, running.pid);
    assert.deepEqual(lines, [], 'nothing was started');
  });

  it('a port already in use gives one clear message naming the setting, and the proxy comes back once fixed', async function () {
    const api = await activateExtension();
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const busy = (blocker.address() as net.AddressInfo).port;
    const cfg = vscode.workspace.getConfiguration('containerHttps');
    try {
      await cfg.update('proxy.httpsPort', busy, vscode.ConfigurationTarget.Global);
      assert.equal(await vscode.commands.executeCommand('containerHttps.restartProxy'), false);
      const failed = await waitFor('the failed state', api.ctx.state.onDidChange, () =>
        api.ctx.state.connection.state === 'failed' ? api.ctx.state.connection : undefined,
      );
      assert.match(failed.error, new RegExp(`Port ${busy} .*already in use.*containerHttps\\.proxy\\.httpsPort`));
      assert.doesNotMatch(failed.error, /\n\s+at /, 'no stack trace');
      assert.equal(api.tree.docker().state, 'noproxy');
      const rows = api.tree.getChildren().map((n) => api.tree.getTreeItem(n).label);
      assert.deepEqual(rows, [
        'The proxy is not running',
        failed.error,
        'Restart Proxy',
        'Show Proxy Log',
        'Open Settings',
      ]);
      assert.match(statusModel(api.ctx.state).text, /\$\(error\)/);
    } finally {
      await cfg.update('proxy.httpsPort', 0, vscode.ConfigurationTarget.Global);
      blocker.close();
    }
    assert.equal(await vscode.commands.executeCommand('containerHttps.restartProxy'), true);
    assert.equal(api.ctx.state.connection.state, 'connected');
  });
});

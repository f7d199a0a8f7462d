import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { describeHolder, findPortHolder, parseProcNetTcp } from '../../proxy-core/src/ports/portHolder';
import { tempDir } from '../support/env';

// Lines as the kernel writes them (trimmed to the columns we read and a few more).
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:01BB 00000000:0000 0A 00000000:00000000 00:00000000 00000000    33        0 424242 1 0000000000000000 100 0 0 10 0
   1: 0100007F:20FB 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 515151 1 0000000000000000 100 0 0 10 0
   2: 0100007F:01BB 0100007F:D431 01 00000000:00000000 00:00000000 00000000    33        0 0 1 0000000000000000 20 4 30 10 -1
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 616161 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000000000000:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 717171 1 0000000000000000 100 0 0 10 0
`;

describe('who holds a port (/proc/net/tcp{,6} → /proc/PID/fd)', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  test('parses listening sockets only, IPv4 and IPv6 addresses decoded', () => {
    assert.deepEqual(parseProcNetTcp(TCP), [
      { address: '127.0.0.1', port: 443, uid: 33, inode: 424242 },
      { address: '127.0.0.1', port: 8443, uid: 1000, inode: 515151 },
    ]);
    assert.deepEqual(parseProcNetTcp(TCP6), [
      { address: '::1', port: 80, uid: 0, inode: 616161 },
      { address: '::', port: 443, uid: 0, inode: 717171 },
    ]);
  });

  test('a fixture /proc: the process whose fd is the socket is named, with its user from passwd', () => {
    const root = tempDir('chs-proc-');
    dirs.push(root);
    const proc = path.join(root, 'proc');
    fs.mkdirSync(path.join(proc, 'net'), { recursive: true });
    fs.writeFileSync(path.join(proc, 'net', 'tcp'), TCP);
    fs.writeFileSync(path.join(proc, 'net', 'tcp6'), TCP6);
    fs.mkdirSync(path.join(proc, '812', 'fd'), { recursive: true });
    fs.writeFileSync(path.join(proc, '812', 'comm'), 'nginx\n');
    fs.symlinkSync('socket:[424242]', path.join(proc, '812', 'fd', '6'));
    fs.mkdirSync(path.join(root, 'etc'));
    fs.writeFileSync(
      path.join(root, 'etc', 'passwd'),
      'root:x:0:0::/root:/bin/sh\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\n',
    );
    const holder = findPortHolder(443, { procRoot: proc, etcRoot: path.join(root, 'etc') });
    assert.deepEqual(holder, { address: '127.0.0.1:443', uid: 33, user: 'www-data', pid: 812, command: 'nginx' });
    assert.equal(describeHolder(holder!), 'nginx (pid 812, user www-data) on 127.0.0.1:443');
    // Another user's process: the kernel still says whose, and how to see the rest.
    fs.rmSync(path.join(proc, '812'), { recursive: true });
    const unseen = findPortHolder(443, { procRoot: proc, etcRoot: path.join(root, 'etc') })!;
    assert.equal(
      describeHolder(unseen),
      "a process of user www-data on 127.0.0.1:443 (its name is visible to root only: sudo ss -ltnp 'sport = :443')",
    );
    assert.equal(findPortHolder(9999, { procRoot: proc }), undefined);
  });

  test(
    'the real /proc: this test process, listening on a port, is found by pid',
    { skip: process.platform !== 'linux' },
    async () => {
      const server = net.createServer();
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      try {
        const port = (server.address() as net.AddressInfo).port;
        const holder = findPortHolder(port);
        assert.equal(holder?.pid, process.pid);
        assert.equal(holder?.uid, process.getuid!());
        assert.equal(holder?.command, fs.readFileSync(`/proc/${process.pid}/comm`, 'utf8').trim());
      } finally {
        server.close();
      }
    },
  );
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cli } from '../support/daemon';
import { tempDir } from '../support/env';
import { cliEnv } from './support';

// A JAVA_HOME of our own: the real keytool, and a copy of a real cacerts keystore, so the
// machine's Java trust is never touched.
function findKeytool(): string | undefined {
  const r = spawnSync('sh', ['-c', 'readlink -f "$(command -v keytool)"'], { encoding: 'utf8' });
  const file = r.stdout.trim();
  return r.status === 0 && file && fs.existsSync(file) ? file : undefined;
}
const keytool = findKeytool();
const cacerts =
  keytool &&
  [path.join(path.dirname(path.dirname(keytool)), 'lib', 'security', 'cacerts'), '/etc/ssl/certs/java/cacerts'].find(
    (f) => fs.existsSync(f),
  );
const skip = !keytool
  ? 'no keytool (install a JDK, e.g. apt-get install default-jdk-headless)'
  : !cacerts
    ? 'no cacerts keystore next to keytool'
    : undefined;

describe('Java keystore ($JAVA_HOME) with the real keytool', { skip }, () => {
  test('ca trust --java imports into $JAVA_HOME cacerts and verifies; untrust deletes exactly that alias', () => {
    const javaHome = tempDir('chs-java-');
    fs.mkdirSync(path.join(javaHome, 'bin'));
    fs.mkdirSync(path.join(javaHome, 'lib', 'security'), { recursive: true });
    fs.symlinkSync(keytool!, path.join(javaHome, 'bin', 'keytool'));
    const keystore = path.join(javaHome, 'lib', 'security', 'cacerts');
    fs.copyFileSync(cacerts!, keystore);
    const countBefore =
      execFileSync(keytool!, ['-list', '-keystore', keystore, '-storepass', 'changeit'], { encoding: 'utf8' }).match(
        /trustedCertEntry/g,
      )?.length ?? 0;

    const stateDir = tempDir();
    const env = { ...cliEnv(tempDir('chs-home-')), JAVA_HOME: javaHome };
    const trust = cli(['ca', 'trust', '--java', '--state-dir', stateDir], env);
    assert.equal(trust.code, 0, trust.stdout + trust.stderr);
    assert.match(
      trust.stdout,
      new RegExp(
        `\\$ ${javaHome}/bin/keytool -importcert -noprompt -trustcacerts -alias (container-https-local-ca-[0-9a-f]{12}) -file \\S+root\\.pem -keystore ${keystore} -storepass changeit\\n`,
      ),
    );
    assert.match(trust.stdout, /trusted\s+Java keystore/);
    const alias = /-alias (\S+)/.exec(trust.stdout)![1];
    const listed = spawnSync(keytool!, ['-list', '-alias', alias, '-keystore', keystore, '-storepass', 'changeit'], {
      encoding: 'utf8',
    });
    assert.equal(listed.status, 0, listed.stdout + listed.stderr);

    const untrust = cli(['ca', 'untrust', '--state-dir', stateDir], env);
    assert.equal(untrust.code, 0, untrust.stdout + untrust.stderr);
    assert.match(untrust.stdout, new RegExp(`\\$ ${javaHome}/bin/keytool -delete -noprompt -alias ${alias} `));
    assert.notEqual(
      spawnSync(keytool!, ['-list', '-alias', alias, '-keystore', keystore, '-storepass', 'changeit']).status,
      0,
    );
    const countAfter =
      execFileSync(keytool!, ['-list', '-keystore', keystore, '-storepass', 'changeit'], { encoding: 'utf8' }).match(
        /trustedCertEntry/g,
      )?.length ?? 0;
    assert.equal(countAfter, countBefore, 'untrust removed our alias and nothing else');
  });
});

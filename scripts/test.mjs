// `npm test`: build, bring up the services the tests need (Docker engine, ...), run every
// test with node's test runner, then the editor suites, and stop what was started.
// Options: --only SUBSTRING (test files whose path contains it), --no-services.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = new URL('..', import.meta.url).pathname;
process.chdir(root);
const argv = process.argv.slice(2);
const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : undefined;
// Set by this script when it runs itself again inside the run's network namespace (below).
const inNetns = argv.includes('--in-netns');

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  return r.status ?? 1;
}

function findTests(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? findTests(full) : name.endsWith('.test.js') ? [full] : [];
  });
}

// A fresh checkout: install the locked dependencies first, so `npm test` is the only command.
if (!inNetns && !existsSync('node_modules/.package-lock.json') && run('npm', ['ci'])) process.exit(1);

// A fresh machine has only the base image's packages: install what the list names, in one step,
// and stop here, by name, if anything is still missing (with CI=true; locally the suites that
// need it skip and say so).
if (!inNetns && !argv.includes('--no-services')) {
  const { describeMissing, ensurePackages } = await import('../test/services/packages.mjs');
  const { isCI } = await import('../test/services/util.mjs');
  const missing = ensurePackages('test');
  if (missing.length) {
    console.error(`missing Debian packages (test/services/packages.mjs):\n${describeMissing(missing)}`);
    if (isCI) {
      console.error('CI=true: a missing package fails the run');
      process.exit(1);
    }
  }
}

// dockerd gives the network namespace it runs in a bridge (docker0), firewall rules (FORWARD
// DROP among them) and ip_forward=1, and leaves them when it stops. So when this run starts its
// own engine (none answers, and we are root), everything from here on runs in a network
// namespace of the run's own, with only loopback, deleted at the end: the machine's own network
// is never touched. What needs a registry (npm ci, Debian packages, code-server's install) is
// done before, outside it. An engine that already answers is the user's: the run uses it as is.
if (!inNetns && !argv.includes('--no-services') && process.getuid?.() === 0) {
  const { engineAnswers } = await import('../test/services/docker.mjs');
  if (!engineAnswers()) process.exit(await runInNamespace());
}

async function runInNamespace() {
  const { addNamespace, deleteNamespace, inNamespace } = await import('../test/services/netns.cjs');
  if (!only) {
    const { ensureCodeServer } = await import('../test/e2e/codeServer.mjs');
    try {
      ensureCodeServer();
    } catch (err) {
      // The editor suites say so again, inside, and fail there.
      console.error(err instanceof Error ? err.message : err);
    }
  }
  let ns;
  try {
    ns = addNamespace('chs-ci-');
  } catch (err) {
    console.error(`${err.message}: cannot isolate the Docker engine this run would start; nothing was run`);
    return 1;
  }
  console.log(`[services] running the services and tests in network namespace ${ns}`);
  const [cmd, ...args] = inNamespace(ns);
  const child = spawn(cmd, [...args, process.execPath, fileURLToPath(import.meta.url), ...argv, '--in-netns'], {
    stdio: 'inherit',
    // The machine's namespace, for test/services/netns.test.ts to check that the tests run elsewhere.
    env: { ...process.env, CHS_TEST_NETNS: ns, CHS_TEST_MACHINE_NETNS_INO: String(statSync('/proc/self/ns/net').ino) },
  });
  // This process stays until the child has stopped its services, to delete the namespace after it:
  // Ctrl-C reaches the child from the terminal, a SIGTERM is passed on.
  process.on('SIGINT', () => {}).on('SIGTERM', () => child.kill('SIGTERM'));
  const code = await new Promise((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
  if (!deleteNamespace(ns)) console.error(`network namespace ${ns} could not be deleted (ip netns delete ${ns})`);
  return code;
}

if (run('node', ['scripts/build.mjs'])) {
  console.error('build failed');
  process.exit(1);
}
// tsc still emits on type errors: run the tests anyway (one engineer's half-typed file should not
// hide everyone's results), but a type error fails the run at the end.
const typeErrors = run('npx', ['tsc', '-p', 'tsconfig.json']) !== 0;
// One formatter keeps lines readable: a file prettier would change fails the run like a lint error.
const lintErrors =
  !only && (run('npx', ['eslint', '.']) !== 0 || run('npx', ['prettier', '--check', '--log-level', 'warn', '.']) !== 0);

// Everything the tests and services write to the temp dir goes into one folder of this run,
// removed at the end: a run used to leave about 170 state dirs in /tmp. Mode 1777 as /tmp has,
// since some tests run code as nobody.
const runTmp = mkdtempSync(join(tmpdir(), 'chs-run-'));
chmodSync(runTmp, 0o1777);
process.env.TMPDIR = runTmp;

// From here on a SIGINT or SIGTERM stops the run in order: the running suite gets it, nothing
// after it starts, and the services are stopped below (test/services/interrupt.mjs).
const { Interruptible } = await import('../test/services/interrupt.mjs');
const interrupt = new Interruptible();
// A test file killed before its own cleanup could run (SIGKILL, or a crash while it wrote to a
// runner that had gone) leaves its network namespaces behind: their names carry their owner's pid
// (test/services/netns.cjs), so the run deletes those whose owner has gone, before and after.
const sweepNamespaces = async (when) => {
  if (process.getuid?.() !== 0) return;
  try {
    const { sweepOrphans } = await import('../test/services/netns.cjs');
    const swept = sweepOrphans();
    if (swept.length)
      console.error(`${when}: deleted network namespaces whose test process had gone: ${swept.join(' ')}`);
  } catch (err) {
    console.error(`${when}: could not look for network namespaces left behind: ${err.message}`);
  }
};
await sweepNamespaces('before the tests');
const stops = [];
let code = 0;
try {
  if (!argv.includes('--no-services')) {
    const { services } = await import('../test/services/index.mjs');
    for (const service of services) {
      if (interrupt.signal) break;
      const { env, stop } = await service.setup();
      Object.assign(process.env, env);
      stops.push({ name: service.name, stop });
    }
  }
  // test/extension holds the mocha suite that runs inside a VS Code extension host, not here.
  const files = findTests('out/test')
    .filter((f) => !f.includes('/extension/'))
    .filter((f) => !only || f.includes(only))
    .sort();
  if (!interrupt.signal) console.log(`running ${files.length} test files`);
  code = await interrupt.run(
    'node',
    ['--test', '--test-reporter=spec', '--test-concurrency=1', ...files.map((f) => relative(root, f))],
    { env: process.env },
  );
  const editorSuites = 'test/e2e/run.mjs';
  if (!only && existsSync(editorSuites))
    code = (await interrupt.run('node', [editorSuites], { env: process.env })) || code;
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  code = 1;
} finally {
  if (interrupt.signal) console.error(`${interrupt.signal}: stopping the services this run started`);
  await sweepNamespaces('after the tests');
  for (const { name, stop } of stops.reverse()) {
    try {
      await stop();
    } catch (err) {
      console.error(`stopping ${name}: ${err.message}`);
    }
  }
  try {
    rmSync(runTmp, { recursive: true, force: true });
  } catch (err) {
    console.error(`could not remove the run's temp dir ${runTmp}: ${err.message}`);
  }
}
if (typeErrors || lintErrors) {
  console.error(`${typeErrors ? 'type check' : 'lint'} failed (see its output above)`);
  code ||= 1;
}
process.exit(interrupt.exitCode(code));

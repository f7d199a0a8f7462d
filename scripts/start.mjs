// `npm start`: install (first run only), build, and run the daemon in the foreground with the
// built-in demo route, so a newcomer without Docker sees https://demo.localhost:8443 work.
// Extra arguments go to `serve`: npm start -- --https-port 9443
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

process.chdir(new URL('..', import.meta.url).pathname);
const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit' }).status ?? 1;
if (!existsSync('node_modules/.package-lock.json') && run('npm', ['ci'])) process.exit(1);
if (run('node', ['scripts/build.mjs'])) process.exit(1);
// Replace this process's job with the daemon's, passing signals through.
const child = (await import('node:child_process')).spawn(
  process.execPath,
  ['dist/cli.js', 'serve', '--demo', ...process.argv.slice(2)],
  // The same malloc settings the extension starts its daemon with (extension/daemonLauncher.ts).
  { stdio: 'inherit', env: { MALLOC_ARENA_MAX: '2', MALLOC_TRIM_THRESHOLD_: '65536', ...process.env } },
);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code ?? 1));

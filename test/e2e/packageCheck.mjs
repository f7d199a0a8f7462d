// Package check: `vsce package` works offline and the .vsix holds the bundles, media, README,
// CHANGELOG, LICENSE and the manifest, and (built on Linux) the daemon's heapTrim for Linux x64
// and arm64 — no sources, tests, maps or node_modules.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import { ROOT } from './lib.mjs';

const ALLOWED = [
  /^\[Content_Types\]\.xml$/,
  /^extension\.vsixmanifest$/,
  /^extension\/package\.json$/,
  /^extension\/readme\.md$/,
  /^extension\/changelog\.md$/,
  /^extension\/LICENSE\.txt$/,
  // The CLI is split: cli.js loads serve.js (the daemon), ca.js, ports.js and scaffold.js on demand; the
  // daemon forks proxyWorker.js.
  /^extension\/dist\/(cli|serve|ca|ports|scaffold|proxyWorker|extension)\.js$/,
  // The daemon's native heap trim (proxy-core/native/heapTrim.c), built on Linux for each arch.
  /^extension\/dist\/heapTrim-linux-(x64|arm64)\.node$/,
  /^extension\/media\/[\w.-]+\.(svg|png|js|css)$/,
];
const REQUIRED = [
  'extension/package.json',
  'extension/readme.md',
  'extension/changelog.md',
  'extension/LICENSE.txt',
  'extension/dist/extension.js',
  'extension/dist/cli.js',
  'extension/dist/serve.js',
  'extension/dist/ca.js',
  'extension/dist/ports.js',
  'extension/dist/scaffold.js',
  'extension/dist/proxyWorker.js',
  'extension/media/container-https.svg',
  // One universal .vsix: a package built on x64 serves arm64 machines too (scripts/build.mjs).
  ...(process.platform === 'linux'
    ? ['extension/dist/heapTrim-linux-x64.node', 'extension/dist/heapTrim-linux-arm64.node']
    : []),
];

/** Builds the .vsix into `dir`; returns its path and the problems found (empty = pass). */
export function packageCheck(dir) {
  const vsix = join(dir, 'container-https.vsix');
  // README links are relative (no public repository URL yet), so vsce must not try to rewrite them.
  const vsce = () =>
    spawnSync(
      'npx',
      [
        '--no-install',
        'vsce',
        'package',
        '--no-dependencies',
        '--no-rewrite-relative-links',
        '--allow-missing-repository',
        '--out',
        vsix,
      ],
      { cwd: ROOT, encoding: 'utf8', env: { ...process.env, npm_config_offline: 'true' } },
    );
  let r = vsce();
  // A build running at the same moment (dist/ being rewritten) can make one attempt fail.
  if (r.status !== 0) r = vsce();
  if (r.status !== 0)
    return {
      vsix,
      problems: [`vsce package failed: ${(r.stderr + r.stdout).trim().split('\n').slice(0, 12).join('\n')}`],
    };
  const list = spawnSync('unzip', ['-Z1', vsix], { encoding: 'utf8' });
  if (list.status !== 0) return { vsix, problems: [`cannot list ${vsix}: ${list.stderr}`] };
  const files = list.stdout.split('\n').filter(Boolean);
  const problems = [
    ...files.filter((f) => !ALLOWED.some((re) => re.test(f))).map((f) => `unexpected file in the .vsix: ${f}`),
    ...REQUIRED.filter((f) => !files.includes(f)).map((f) => `missing from the .vsix: ${f}`),
  ];
  // The bundle must not need node_modules at runtime: it may require only node built-ins and vscode.
  const bundle = readFileSync(join(ROOT, 'dist/extension.js'), 'utf8');
  const outside = [...new Set([...bundle.matchAll(/\brequire\("([^"]+)"\)/g)].map((m) => m[1]))].filter(
    (m) => m !== 'vscode' && !isBuiltin(m),
  );
  if (outside.length) problems.push(`dist/extension.js requires modules outside the bundle: ${outside.join(', ')}`);
  return { vsix, files, problems };
}

// Bundles the CLI/daemon and the extension into dist/ with esbuild. Type checking is separate
// (npm run typecheck) so builds stay fast.
import * as esbuild from 'esbuild';
import { readFileSync, existsSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const watch = process.argv.includes('--watch');

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  minifySyntax: true,
  logLevel: 'warning',
  define: { __VERSION__: JSON.stringify(pkg.version) },
  // Optional native add-ons of dockerode's ssh transport: not used for unix/tcp sockets.
  external: ['cpu-features', '*.node'],
};

// The CLI is split: dist/cli.js holds the client commands (expose, routes, …) and loads the heavy
// commands from bundles of their own, named here. Each dynamic `import('./<module>')` in
// proxy-core/src/cli/commands.ts becomes `require('./<bundle>.js')` at run time.
const lazyCommands = { serveCommand: 'serve', caCommands: 'ca', scaffoldCommands: 'scaffold' };
const lazyFilter = new RegExp(`^\\./(${Object.keys(lazyCommands).join('|')})$`);
const splitCommands = {
  name: 'split-commands',
  setup(build) {
    build.onResolve({ filter: lazyFilter }, (args) => {
      if (args.kind !== 'dynamic-import' || !args.importer.endsWith('commands.ts')) return undefined;
      return { path: `./${lazyCommands[args.path.slice(2)]}.js`, external: true };
    });
  },
};

const builds = [
  {
    ...common,
    entryPoints: ['proxy-core/src/cli.ts'],
    outfile: 'dist/cli.js',
    plugins: [splitCommands],
    // require(), not import(): Node's ESM loader would run cjs-module-lexer (WebAssembly) over the
    // 5 MB serve.js to find its exports, and that memory (16 MB) is never given back.
    supported: { 'dynamic-import': false },
  },
  ...Object.entries(lazyCommands).map(([module, bundle]) => ({
    ...common,
    entryPoints: [`proxy-core/src/cli/${module}.ts`],
    outfile: `dist/${bundle}.js`,
  })),
  // The proxy worker the daemon forks (workerPool.ts finds it beside itself: dist/ or the tsc output).
  { ...common, entryPoints: ['proxy-core/src/daemon/proxyWorker.ts'], outfile: 'dist/proxyWorker.js' },
];
if (existsSync('extension/main.ts')) {
  builds.push({
    ...common,
    entryPoints: ['extension/main.ts'],
    outfile: 'dist/extension.js',
    external: [...common.external, 'vscode'],
  });
}

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}

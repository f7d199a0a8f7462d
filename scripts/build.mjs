// Bundles the CLI/daemon and the extension into dist/ with esbuild. Type checking is separate
// (npm run typecheck) so builds stay fast.
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import { readFileSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const watch = process.argv.includes('--watch');
/** Building what `npm run package` ships: every native part must be there. */
const release = process.argv.includes('--release');

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  minifySyntax: true,
  minifyWhitespace: true,
  logLevel: 'warning',
  define: { __VERSION__: JSON.stringify(pkg.version) },
  // Optional native add-ons of dockerode's ssh transport: not used for unix/tcp sockets.
  external: ['cpu-features', '*.node'],
};

// The CLI is split: dist/cli.js holds the client commands (expose, routes, …) and loads the heavy
// commands from bundles of their own, named here. Each dynamic `import('./<module>')` in
// proxy-core/src/cli/commands.ts becomes `require('./<bundle>.js')` at run time.
const lazyCommands = { serveCommand: 'serve', caCommands: 'ca', scaffoldCommands: 'scaffold', portsCommands: 'ports' };
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

// Parts of dockerode the daemon never uses (BuildKit sessions over gRPC, the ssh:// transport,
// tar-fs for build contexts) are required at the top of its modules; these become stand-ins that
// load them on first use, which keeps @grpc/grpc-js, protobufjs, ssh2 and tar-fs out of the
// daemon's idle memory. A stand-in is a function (`call`: the module is one) or an object whose
// properties are read from the module (`properties`: tar-fs is used as tar.pack()).
const lazyParts = [
  { importer: /node_modules\/dockerode\/lib\/docker\.js$/, path: './session', use: 'call' },
  { importer: /node_modules\/docker-modem\/lib\/modem\.js$/, path: './ssh', use: 'call' },
  { importer: /node_modules\/dockerode\/lib\/util\.js$/, path: 'tar-fs', use: 'properties' },
];
const standIn = {
  call: (target) => `let m;\nmodule.exports = function (...a) { return (m ??= require(${target})).apply(this, a); };\n`,
  properties: (target) =>
    `let m;\nmodule.exports = new Proxy({}, { get: (_, key) => (m ??= require(${target}))[key] });\n`,
};
const lazyRequire = {
  name: 'lazy-require',
  setup(build) {
    const filter = new RegExp(`^(${lazyParts.map((p) => p.path.replace(/[./]/g, (c) => `\\${c}`)).join('|')})$`);
    build.onResolve({ filter }, async (args) => {
      const part = lazyParts.find((p) => p.path === args.path && p.importer.test(args.importer));
      if (!part) return undefined;
      const real = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir });
      return { path: real.path, namespace: 'lazy-require', pluginData: part.use };
    });
    build.onLoad({ filter: /.*/, namespace: 'lazy-require' }, (args) => ({
      contents: standIn[args.pluginData](JSON.stringify(args.path)),
      loader: 'js',
      resolveDir: '.',
    }));
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
    plugins: [lazyRequire],
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

/**
 * V8 keeps a script's source as a one-byte string only if every character is Latin-1; one `’` in
 * a comment of a dependency makes the whole 5 MB serve.js a two-byte string: 10 MB of the
 * daemon's heap instead of 5. esbuild escapes strings but keeps comments and regular expression
 * literals as they are, so what is left is escaped here (\uXXXX means the same in both).
 */
const asciiOnly = {
  name: 'ascii-only',
  setup(build) {
    build.onEnd(() => {
      const file = build.initialOptions.outfile;
      if (!file || !existsSync(file)) return;
      const text = readFileSync(file, 'utf8');
      const ascii = text.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
      if (ascii !== text) writeFileSync(file, ascii);
    });
  },
};
for (const b of builds) b.plugins = [...(b.plugins ?? []), asciiOnly];

/**
 * The daemon's one native part (proxy-core/native/heapTrim.c), for Linux only, where glibc's
 * malloc keeps what a big transfer freed: dist/heapTrim-linux-<arch>.node for every Linux the
 * .vsix serves (proxy-core/src/daemon/nativeHeap.ts loads the one of its process.arch). The
 * machine's own arch is built with its compiler (cc, or $CC); the other with Debian's cross
 * compiler. Node-API headers come from the pinned node-api-headers package. A missing compiler is
 * a warning, and the daemon then runs as before, only without giving that memory back; with
 * --release (npm run package) it is an error on Linux, where it can be installed.
 */
const LINUX_NATIVE = [
  { arch: 'x64', cross: 'x86_64-linux-gnu-gcc', debian: 'gcc-x86-64-linux-gnu libc6-dev-amd64-cross' },
  { arch: 'arm64', cross: 'aarch64-linux-gnu-gcc', debian: 'gcc-aarch64-linux-gnu libc6-dev-arm64-cross' },
];

function buildHeapTrim() {
  if (process.platform !== 'linux') {
    if (release) console.warn('warning: a .vsix built here has no heapTrim-linux-*.node: package on Linux.');
    return;
  }
  const source = 'proxy-core/native/heapTrim.c';
  const headers = path.join(
    path.dirname(createRequire(import.meta.url).resolve('node-api-headers/package.json')),
    'include',
  );
  mkdirSync('dist', { recursive: true });
  // The name before builds for each arch: a stale one would be packaged.
  rmSync('dist/heapTrim.node', { force: true });
  const flags = ['-shared', '-fPIC', '-O2', '-Wall', '-Wextra', '-Werror', '-I', headers];
  let missing = 0;
  for (const { arch, cross, debian } of LINUX_NATIVE) {
    const out = `dist/heapTrim-linux-${arch}.node`;
    if (existsSync(out) && statSync(out).mtimeMs >= statSync(source).mtimeMs) continue;
    const cc = arch === process.arch ? process.env.CC || 'cc' : cross;
    const r = spawnSync(cc, [...flags, '-o', out, source], { encoding: 'utf8' });
    if (!r.error && r.status === 0) continue;
    missing++;
    const install = arch === process.arch ? 'gcc libc6-dev' : debian;
    console.warn(
      `${release ? 'error' : 'warning'}: ${out} was not built (${r.error ? `${cc}: ${r.error.message}` : r.stderr.trim()}); install a C compiler (Debian: ${install}) for the daemon on Linux ${arch} to give back the memory of big transfers.`,
    );
  }
  if (release && missing) process.exit(1);
}

buildHeapTrim();
if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}

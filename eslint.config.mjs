// Flat config: typescript-eslint's recommended rules, plus the architectural rules: proxy-core
// never imports vscode, and the layers of docs/architecture.md ("Layers and imports").
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const noVscode = { name: 'vscode', message: 'proxy-core never imports vscode: put editor code in extension/.' };

export default tseslint.config(
  { ignores: ['node_modules/**', 'out/**', 'dist/**', '.cache/**', '.test-state/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        Buffer: 'readonly',
      },
    },
  },
  {
    // CommonJS, for a helper both the harness's ES modules and the compiled tests load (test/services/netns.cjs).
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', process: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['proxy-core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [noVscode] }],
    },
  },
  {
    // The domains sit below the control API and the daemon: control/ re-exports their types as the
    // contract, the daemon wires them. (Rule options do not merge across blocks: hence noVscode again.)
    files: [
      'proxy-core/src/{acme,capture,certs,docker,routes,trust,probe,proxy,scaffold,traefik,ports,lan,middlewares}/**/*.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noVscode],
          patterns: [
            {
              regex: '^(\\.\\./)+(control|daemon|cli)(/|$)',
              message:
                'The domain folders never import control/, daemon/ or cli/: declare the type here and let control/apiTypes.ts re-export it (docs/architecture.md, "Layers and imports").',
            },
          ],
        },
      ],
    },
  },
  {
    // The extension is a client of the control API: it imports the contract and the client, plus
    // the few vscode-free helpers it shares with the CLI, and nothing else of proxy-core.
    files: ['extension/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex:
                '/proxy-core/src/(?!(control/(apiTypes|protocol|controlClient)|scaffold/[^/]+|routes/(hostName|target|routePath)|capture/(har|curl|bodyText)|errors|paths|fsUtil|shellQuote)$)',
              // fsUtil: ensureDir for the state dir before the daemon starts, the same mode the CLI uses. shellQuote: the trust command typed into the terminal, quoted as the CLI quotes its own. routes/target: the editor reads and checks targets as the daemon does. routes/routePath: the path step of Expose over HTTPS… checks and names paths as the daemon and CLI do. capture/har, capture/curl: the Inspector's Save as HAR and Copy as cURL write what the CLI writes. capture/bodyText: the Inspector's detail pane shows bodies formatted by a pure module that is tested without a workbench.
              message:
                'The extension imports from proxy-core only the contract (control/apiTypes, control/protocol, control/controlClient), scaffold/, routes/hostName, routes/target, routes/routePath, capture/har, capture/curl, capture/bodyText, errors, paths, fsUtil and shellQuote (docs/architecture.md, "Layers and imports").',
            },
          ],
        },
      ],
    },
  },
);

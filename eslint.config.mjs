import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

/**
 * Module boundaries. Types, from the bottom up: `util` (config, protocol, contracts, concurrency
 * primitives) < `data-access` (stores, queues, the upstream client) < `domain` (the mirror; access
 * decisions) < `feature` (Nest HTTP surfaces) < `app` (wiring). A lib imports only types below it,
 * so e.g. the access domain can never import the Hub HTTP surface again. Scopes keep the mirror's
 * data plane free of the access layer: `scope:mirror` never imports `scope:access`.
 */
const typeConstraints = [
  { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util'] },
  { sourceTag: 'type:data-access', onlyDependOnLibsWithTags: ['type:util', 'type:data-access'] },
  { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:util', 'type:data-access', 'type:domain'] },
  {
    sourceTag: 'type:feature',
    onlyDependOnLibsWithTags: ['type:util', 'type:data-access', 'type:domain'],
  },
  {
    sourceTag: 'type:app',
    onlyDependOnLibsWithTags: ['type:util', 'type:data-access', 'type:domain', 'type:feature'],
  },
  { sourceTag: 'type:test', notDependOnLibsWithTags: ['type:app', 'type:e2e'] },
  { sourceTag: 'type:e2e', notDependOnLibsWithTags: ['type:e2e'] },
];
const scopeConstraints = [
  { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
  { sourceTag: 'scope:mirror', onlyDependOnLibsWithTags: ['scope:shared', 'scope:mirror'] },
  { sourceTag: 'scope:access', onlyDependOnLibsWithTags: ['scope:shared', 'scope:mirror', 'scope:access'] },
  { sourceTag: 'scope:sync-worker', onlyDependOnLibsWithTags: ['scope:shared', 'scope:mirror'] },
  { sourceTag: 'scope:edge', onlyDependOnLibsWithTags: ['scope:shared', 'scope:mirror'] },
  // The CLI is an HTTP client of a mirror: none of the mirror's code.
  { sourceTag: 'scope:cli', onlyDependOnLibsWithTags: ['scope:shared', 'scope:cli'] },
  // The web console runs in a browser and talks to the admin API over HTTP: no library of ours.
  { sourceTag: 'scope:console', onlyDependOnLibsWithTags: ['scope:console'] },
];
/** Specs and contract suites may also use the test libs (simulator, harness, throwaway infra). */
const withTestLibs = (constraints) =>
  constraints.map((c) =>
    c.onlyDependOnLibsWithTags
      ? { ...c, onlyDependOnLibsWithTags: [...c.onlyDependOnLibsWithTags, 'type:test', 'scope:testing'] }
      : c,
  );
const boundaries = (constraints) => [
  'error',
  {
    // e2e suites boot an app's root module in-process; nothing else may import an app.
    allow: ['@dingo/gateway', '@dingo/mirror-edge'],
    depConstraints: constraints,
  },
];

const testFiles = ['**/*.spec.ts', 'e2e/**/*.ts', 'bench/**/*.ts', '**/*.contract.ts'];

export default [
  {
    ignores: [
      'jest.config.js',
      '**/node_modules/**',
      '**/dist/**',
      'tmp/**',
      'data/**',
      '.nx/**',
      'bench/results/**',
      '**/*.mjs',
      '**/*.js',
    ],
  },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    plugins: { '@nx': nx },
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@nx/enforce-module-boundaries': boundaries([...typeConstraints, ...scopeConstraints]),
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      // Async bugs the type checker alone does not catch: a promise nobody awaits or handles, a
      // promise where a callback's return value is ignored, awaiting a non-promise.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: testFiles,
    rules: {
      '@nx/enforce-module-boundaries': boundaries(withTestLibs([...typeConstraints, ...scopeConstraints])),
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
];

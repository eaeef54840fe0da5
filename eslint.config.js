// @ts-check
/**
 * @module eslint.config
 * One flat config for the whole monorepo. Besides the usual rules it fences the
 * dependency direction: contracts ← core ← worker-* ← apps. Each package may import
 * only what sits to its left, and never another package's `src/` internals.
 */
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

const internals = {
  group: ['@corral/*/src/*', '**/packages/*/src/*', '../../packages/*', '../../../packages/*'],
  message: 'Import a package by its name and public exports, never its src/ internals.',
};

/** @param {string[]} forbidden packages this layer must not import */
const fence = (forbidden) => ({
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        internals,
        ...(forbidden.length
          ? [{ group: forbidden, message: 'Dependencies run one way: contracts ← core ← worker-* ← apps.' }]
          : []),
      ],
    },
  ],
});

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/coverage/**',
      '**/.turbo/**',
      'packages/contracts/src/generated/**',
      // Plugin sources the tests feed to tsc/esbuild, some broken on purpose.
      'packages/*/test/fixtures/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-implied-eval': 'error',
      'no-new-func': 'error',
      'no-eval': 'error',
      'import-x/no-cycle': 'error',
    },
  },
  {
    files: ['packages/contracts/**/*.ts'],
    rules: fence(['@corral/*']),
  },
  {
    files: ['packages/core/**/*.ts'],
    rules: fence([
      '@corral/worker-*',
      '@corral/server',
      '@corral/playground',
      'node:*',
      'worker_threads',
      'fs',
      'path',
    ]),
  },
  {
    files: ['packages/core/test/**/*.ts', 'packages/core/bench/**/*.ts', 'packages/*/scripts/**/*.ts'],
    rules: fence(['@corral/worker-*', '@corral/server', '@corral/playground']),
  },
  {
    files: ['packages/worker-node/**/*.ts'],
    rules: fence(['@corral/worker-browser', '@corral/server', '@corral/playground']),
  },
  {
    files: ['packages/worker-browser/**/*.ts'],
    rules: fence(['@corral/worker-node', '@corral/server', '@corral/playground']),
  },
  {
    // What ships runs in a browser; only its test server and bench (Node) use node: modules.
    files: ['packages/worker-browser/src/**/*.ts'],
    rules: fence(['@corral/worker-node', '@corral/server', '@corral/playground', 'node:*']),
  },
  {
    // import-x's resolver crashes on @vitest/browser-playwright's package; a config file is a
    // leaf nothing imports, so it cannot close a cycle.
    files: ['packages/worker-browser/vitest.config.ts'],
    rules: { 'import-x/no-cycle': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Plugin sources run inside QuickJS, where the bootstrap defines `definePlugin`.
    files: ['examples/**/src/**'],
    languageOptions: { globals: { definePlugin: 'readonly' } },
  },
);

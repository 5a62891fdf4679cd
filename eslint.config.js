import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.data/', 'coverage/', 'src/db/migrations/'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox and is replayed: it may import
    // @temporalio/workflow, its sibling workflow modules, and types. No Node built-ins, no
    // I/O libraries, no activities' code (samples-typescript's .eslintrc rule, made strict).
    files: ['src/workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [{
          regex: '^(?!@temporalio/workflow$|\\./[A-Za-z]+\\.js$)',
          allowTypeImports: true,
          message: 'Workflow files import only @temporalio/workflow, sibling workflow modules and types.',
        }],
      }],
    },
  },
  {
    files: ['test/**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);

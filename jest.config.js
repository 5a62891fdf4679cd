// ESM throughout: `webdav` v5 is ESM-only, so the project is too, and jest runs with
// --experimental-vm-modules (see the `test` script). @swc/jest strips types without a type
// check; `npm run typecheck` (tsc --noEmit) is part of `npm test`.
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', {
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      module: { type: 'es6' },
      sourceMaps: 'inline',
    }],
  },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  globalSetup: '<rootDir>/test/support/globalSetup.ts',
  globalTeardown: '<rootDir>/test/support/globalTeardown.ts',
  testTimeout: 60_000,
  reporters: ['default', '<rootDir>/test/support/summaryReporter.cjs'],
};

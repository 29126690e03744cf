import type { Config } from 'jest';

// The browser tests (tests/browser/): real Chromium (Debian's /usr/bin/chromium) through
// playwright-core, one browser at a time. `npm run test:browser` builds dist/ first.
const config: Config = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/tests/browser'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: { warnOnly: false } }] },
  // Stops at once, with the command that installs it, when Chromium is missing.
  globalSetup: '<rootDir>/tests/browser/chromium-check.ts',
  maxWorkers: 1,
  testTimeout: 120_000,
  reporters: ['default', '<rootDir>/scripts/summary-reporter.cjs'],
};
export default config;

import { defineConfig } from 'vitest/config';

/** One config for every suite: integration and e2e share the embedded stack started in globalSetup. */
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    globalSetup: ['tests/global-setup.ts'],
  },
});

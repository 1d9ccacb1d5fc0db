import { defineConfig } from 'vitest/config';

/** One config for every suite: integration and e2e share the embedded stack started in globalSetup. */
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    globalSetup: ['tests/global-setup.ts'],
    // The SDK's notice that Node 20 support ends in 2027 would repeat in every worker's output.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});

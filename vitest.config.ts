import { defineConfig } from 'vitest/config';

/**
 * One project per kind of test, so a run starts only what its tests stand on: `vitest run --project unit`
 * starts no Java and no S3 server. Only the integration project's global setup starts DynamoDB Local and
 * s3rver (shared by its files); e2e tests start `npm start`'s stack themselves and infra tests synthesise
 * or bundle in-process. `vitest run` with no filter runs every project, and a file path alone runs in the
 * project whose folder holds it.
 */
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          // The reference tests compare the model with committed PyTorch fixtures: in-process, like unit tests.
          include: ['tests/unit/**/*.test.ts', 'tests/reference/**/*.test.ts'],
          // Files share a worker process and its loaded modules: TF.js and its wasm backend start once per
          // worker instead of once per file (two thirds of a unit run's CPU time). So a unit test must not
          // depend on what a process does first (the backend's choice runs in a child: fresh-backend.ts)
          // nor leave global state behind.
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          globalSetup: ['tests/global-setup.ts'],
        },
      },
      { extends: true, test: { name: 'e2e', include: ['tests/e2e/**/*.test.ts'] } },
      { extends: true, test: { name: 'infra', include: ['tests/infra/**/*.test.ts'] } },
    ],
  },
});

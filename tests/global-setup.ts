import { startLocalStorage } from '#tests/local-storage.ts';

/**
 * The integration project's global setup: starts DynamoDB Local and s3rver once for all its files and
 * publishes their endpoints through the environment, which the forked test workers inherit and
 * `parseConfig()` reads like any deployment would (tests/test-clients.ts).
 */
export default async function setup(): Promise<() => Promise<void>> {
  const storage = await startLocalStorage();
  Object.assign(process.env, storage.environment);
  return () => storage.stop();
}

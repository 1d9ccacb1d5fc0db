import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDynamoDbLocal } from '#local/dynamodb-local.ts';
import { ensureLocalTable } from '#local/resources.ts';
import { startS3Local } from '#local/s3-local.ts';
import { stackEnvironment } from '#local/stack-state.ts';

/** A DynamoDB Local table and an s3rver bucket, and the environment that points `parseConfig()` at them. */
export interface LocalStorage {
  readonly environment: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Starts DynamoDB Local (in memory) with Attune's table and s3rver with its bucket, for tests that talk to
 * storage: the integration project's global setup shares one among its files, and a test outside that
 * project that needs storage starts its own, so no other kind of test run starts Java or an S3 server.
 */
export async function startLocalStorage(): Promise<LocalStorage> {
  const dataDir = await mkdtemp(join(tmpdir(), 'attune-test-'));
  const tableName = 'attune-test';
  const bucketName = 'attune-test';
  const [dynamo, s3] = await Promise.all([
    startDynamoDbLocal(),
    startS3Local({ dataDir: join(dataDir, 's3'), bucket: bucketName }),
  ]);
  await ensureLocalTable(dynamo.endpoint, tableName);
  return {
    environment: stackEnvironment({
      tableName,
      bucketName,
      dynamodbEndpoint: dynamo.endpoint,
      s3Endpoint: s3.endpoint,
    }),
    stop: async () => {
      await Promise.all([dynamo.stop(), s3.stop()]);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

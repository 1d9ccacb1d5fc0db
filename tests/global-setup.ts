import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startDynamoDbLocal } from '#local/dynamodb-local.ts';
import { ensureTable } from '#local/resources.ts';
import { startS3Local } from '#local/s3-local.ts';

/**
 * Starts DynamoDB Local and s3rver once for the whole test run and publishes their endpoints through the
 * environment, which the forked test workers inherit and `parseConfig()` reads like any deployment would (tests/test-clients.ts).
 */
export default async function setup(): Promise<() => Promise<void>> {
  const dataDir = await mkdtemp(join(tmpdir(), 'attune-test-'));
  const tableName = 'attune-test';
  const bucketName = 'attune-test';
  const dynamo = await startDynamoDbLocal();
  const s3 = await startS3Local({ dataDir: join(dataDir, 's3'), bucket: bucketName });
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await ensureTable(client, tableName);
  client.destroy();
  Object.assign(process.env, {
    TABLE_NAME: tableName,
    BUCKET_NAME: bucketName,
    AWS_REGION: 'us-east-1',
    ATTUNE_DYNAMODB_ENDPOINT: dynamo.endpoint,
    ATTUNE_S3_ENDPOINT: s3.endpoint,
  });
  return async () => {
    await Promise.all([dynamo.stop(), s3.stop()]);
    await rm(dataDir, { recursive: true, force: true });
  };
}

import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Event } from 'aws-lambda';
import { type DevKey, defaultDevKey, parseDevKeys } from '#local/dev-keys.ts';
import { startDynamoDbLocal } from '#local/dynamodb-local.ts';
import { listenLocalHttp } from '#local/http-server.ts';
import { startLocalTraining } from '#local/local-training.ts';
import { ensureTable } from '#local/resources.ts';
import { routeByApiGateway } from '#local/route-table.ts';
import { startS3Local } from '#local/s3-local.ts';
import { stackEnvironment, writeStackState } from '#local/stack-state.ts';

export interface EmbeddedStackOptions {
  /** Port of the API on 127.0.0.1; 0 picks a free one (tests). */
  readonly port: number;
  /** Where DynamoDB Local and s3rver persist their data. */
  readonly dataDir: string;
  /** `team:key,…`; without it, a key for team `default` is made once and reused. */
  readonly devKeys?: string;
}

export interface EmbeddedStack {
  readonly url: string;
  readonly keys: readonly DevKey[];
  stop(): Promise<void>;
}

export const LOCAL_TABLE_NAME = 'attune';
export const LOCAL_BUCKET_NAME = 'attune';

/** Lambda retries a failed asynchronous invocation twice; the embedded stack does the same. */
const INGESTION_ATTEMPTS = 3;

async function deliverWithRetries(
  handler: (event: S3Event) => Promise<unknown>,
  event: S3Event,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await handler(event);
      return;
    } catch (error) {
      if (attempt >= INGESTION_ATTEMPTS) {
        console.error(
          JSON.stringify({
            level: 'ERROR',
            message: 'ingestion failed after retries',
            attempts: attempt,
            error: String(error),
          }),
        );
        return;
      }
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  }
}

/**
 * The inference handler as the Lambda runs it: the same app and dependencies from the same environment;
 * the TF.js backend starts with the first completion request, as in a fresh Lambda container. Downloaded
 * artifacts are cached under the data directory unless ATTUNE_ARTIFACT_CACHE_DIR says otherwise.
 */
async function startLocalInference(dataDir: string): Promise<(request: Request) => Promise<Response>> {
  const { createInferenceApp } = await import('#inference/app.ts');
  const { inferenceDepsFromEnv } = await import('#inference/deps-from-env.ts');
  const { initBackend } = await import('#model/backend.ts');
  const env = {
    ...process.env,
    ATTUNE_ARTIFACT_CACHE_DIR: process.env.ATTUNE_ARTIFACT_CACHE_DIR ?? join(dataDir, 'artifact-cache'),
  };
  const app = createInferenceApp(inferenceDepsFromEnv(env));
  return async (request) => {
    await initBackend();
    return app.fetch(request);
  };
}

/**
 * Stands Attune up on one machine: DynamoDB Local and s3rver on loopback, the same API and inference
 * apps that API Gateway invokes in AWS behind a local HTTP server (routed as API Gateway routes them),
 * and s3rver's object-created events delivered to the same ingestion handler that S3 notifications drive
 * in AWS.
 */
export async function startEmbeddedStack(options: EmbeddedStackOptions): Promise<EmbeddedStack> {
  const dataDir = resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true });
  const keys = options.devKeys ? parseDevKeys(options.devKeys) : [await defaultDevKey(dataDir)];
  const http = await listenLocalHttp(options.port);
  // Stopped in reverse order of starting, after the API stops taking requests: pending ingestions and
  // trainers (which checkpoint on SIGTERM) finish while S3 and DynamoDB are still up.
  const cleanups: (() => Promise<void>)[] = [];
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      await http.close();
      for (const fn of cleanups.slice().reverse()) await fn();
    })();
    return stopped;
  };
  try {
    const dynamo = await startDynamoDbLocal({ dataDir: join(dataDir, 'dynamodb') });
    cleanups.push(() => dynamo.stop());
    const s3 = await startS3Local({ dataDir: join(dataDir, 's3'), bucket: LOCAL_BUCKET_NAME });
    cleanups.push(() => s3.stop());
    const environment = stackEnvironment({
      tableName: LOCAL_TABLE_NAME,
      bucketName: LOCAL_BUCKET_NAME,
      dynamodbEndpoint: dynamo.endpoint,
      s3Endpoint: s3.endpoint,
    });
    Object.assign(process.env, environment);

    const admin = new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await ensureTable(admin, LOCAL_TABLE_NAME);
    admin.destroy();

    // Handlers read their configuration at import, so they are loaded only once the environment is set.
    const { createAppFromEnv } = await import('#http/app-from-env.ts');
    const { handler: ingest } = await import('#events/ingest.ts');
    const { getConfig } = await import('#aws/config.ts');
    const { getClients } = await import('#aws/clients.ts');
    const { ApiKeyRepository } = await import('#aws/api-key-repository.ts');
    const config = getConfig();
    const apiKeys = new ApiKeyRepository(getClients(config).dynamo, config.tableName);
    for (const { team, key } of keys) await apiKeys.register(team, key);

    const runner = await startLocalTraining(environment, dataDir);
    cleanups.push(() => runner.close());

    const pending = new Set<Promise<void>>();
    s3.onObjectCreated((event) => {
      const delivery = deliverWithRetries(ingest, event).finally(() => pending.delete(delivery));
      pending.add(delivery);
    });
    cleanups.push(async () => {
      await Promise.allSettled([...pending]);
    });

    const app = createAppFromEnv({ dispatcher: runner });
    const inference = await startLocalInference(dataDir);
    http.setHandler(
      routeByApiGateway({ api: (request) => app.fetch(request), inference: (request) => inference(request) }),
    );
    await writeStackState(dataDir, {
      url: http.url,
      tableName: LOCAL_TABLE_NAME,
      bucketName: LOCAL_BUCKET_NAME,
      dynamodbEndpoint: dynamo.endpoint,
      s3Endpoint: s3.endpoint,
      pid: process.pid,
    });
    return { url: http.url, keys, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

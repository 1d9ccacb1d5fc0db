import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import type { S3Event } from 'aws-lambda';
import { type AwsClients, createClients } from '#aws/clients.ts';
import { type AttuneConfig, parseConfig } from '#aws/config.ts';
import { createStores } from '#aws/stores.ts';
import { loadDatasetTokenizer } from '#events/dataset-tokenizer.ts';
import { createIngestHandler, ingestDeps } from '#events/ingest-handler.ts';
import { apiDepsFromEnv } from '#http/api-deps.ts';
import { createApp } from '#http/app.ts';
import { createInferenceApp } from '#inference/app.ts';
import { inferenceDepsFromEnv } from '#inference/deps-from-env.ts';
import { type DevKey, defaultDevKey, parseDevKeys } from '#local/dev-keys.ts';
import { startDynamoDbLocal } from '#local/dynamodb-local.ts';
import { listenLocalHttp } from '#local/http-server.ts';
import { startLocalTraining } from '#local/local-training.ts';
import { ensureLocalTable } from '#local/resources.ts';
import { routeByApiGateway } from '#local/route-table.ts';
import { startS3Local } from '#local/s3-local.ts';
import { stackEnvironment, writeStackState } from '#local/stack-state.ts';
import { initBackend } from '#model/backend.ts';

export interface EmbeddedStackOptions {
  /** Port of the API on 127.0.0.1; 0 picks a free one (tests). */
  readonly port: number;
  /** Where DynamoDB Local and s3rver persist their data. */
  readonly dataDir: string;
  /** `team:key,…`; without it, a key for team `default` is made once and reused. */
  readonly devKeys?: string;
  /**
   * The operator's settings the handlers honour as they would in AWS (`ATTUNE_TEAM_BUDGETS`,
   * `ATTUNE_MAX_UPLOAD_BYTES`, `ATTUNE_ARTIFACT_CACHE_DIR`, …), read once by the caller.
   * @default {} (every handler's defaults)
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
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
function localInference(
  env: Readonly<Record<string, string | undefined>>,
  clients: AwsClients,
  dataDir: string,
): (request: Request) => Promise<Response> {
  const cacheDir = env.ATTUNE_ARTIFACT_CACHE_DIR ?? join(dataDir, 'artifact-cache');
  const app = createInferenceApp(
    inferenceDepsFromEnv({ ...env, ATTUNE_ARTIFACT_CACHE_DIR: cacheDir }, { clients }),
  );
  return async (request) => {
    await initBackend();
    return app.fetch(request);
  };
}

/** The ingestion handler as S3 notifications drive it in AWS, over the stack's own clients. */
function localIngestion(config: AttuneConfig, clients: AwsClients) {
  const logger = new Logger({ serviceName: 'attune-ingest' });
  return createIngestHandler(ingestDeps(config, clients, loadDatasetTokenizer(), logger));
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
    // The handlers' settings as a deployment would give them, pointing at the loopback services; parsed
    // here, once, and passed in: nothing is written to this process's environment.
    const env = { ...options.env, ...environment };
    const config = parseConfig(env);
    const clients = createClients(config);

    await ensureLocalTable(dynamo.endpoint, LOCAL_TABLE_NAME);

    const { keys: apiKeys } = createStores(config, clients);
    for (const { team, key } of keys) await apiKeys.register(team, key);

    const runner = await startLocalTraining({ environment, config, clients, dataDir });
    cleanups.push(() => runner.close());

    const ingest = localIngestion(config, clients);
    const pending = new Set<Promise<void>>();
    s3.onObjectCreated((event) => {
      const delivery = deliverWithRetries(ingest, event).finally(() => pending.delete(delivery));
      pending.add(delivery);
    });
    cleanups.push(async () => {
      await Promise.allSettled([...pending]);
    });

    const app = createApp(apiDepsFromEnv(env, { clients, dispatcher: runner }));
    const inference = localInference(env, clients, dataDir);
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

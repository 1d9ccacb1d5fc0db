import { Logger } from '@aws-lambda-powertools/logger';
import type { Hono } from 'hono';
import { AliasRepository } from '#aws/alias-repository.ts';
import { ApiKeyRepository } from '#aws/api-key-repository.ts';
import { batchDispatcherFromEnv } from '#aws/batch-dispatcher.ts';
import { getClients } from '#aws/clients.ts';
import { CompletionLogRepository } from '#aws/completion-log-repository.ts';
import { getConfig } from '#aws/config.ts';
import { FileRepository } from '#aws/file-repository.ts';
import { ObjectStore } from '#aws/object-store.ts';
import type { JobDispatcher } from '#core/jobs/dispatch.ts';
import { createApp } from '#http/app.ts';
import type { AppEnv } from '#http/context.ts';

/** The service name every API log line carries (Powertools' `service` key). */
export const API_SERVICE_NAME = 'attune-api';

/**
 * The API app built from the process environment, the one way both the Lambda and the embedded server
 * build it: configuration from `getConfig()` (so a missing variable fails at start-up), SDK clients from
 * `getClients()`. Builds objects only; makes no network call, so it is safe at module load. The embedded
 * stack passes its local batch runner as `dispatcher`; in AWS it comes from the Batch variables.
 */
export function createAppFromEnv(overrides: { dispatcher?: JobDispatcher } = {}): Hono<AppEnv> {
  const config = getConfig();
  const clients = getClients(config);
  const dispatcher = overrides.dispatcher ?? batchDispatcherFromEnv(process.env, config);
  return createApp({
    files: new FileRepository(clients.dynamo, config.tableName),
    keys: new ApiKeyRepository(clients.dynamo, config.tableName),
    objects: new ObjectStore(clients.s3, config.bucketName),
    config,
    logger: new Logger({ serviceName: API_SERVICE_NAME }),
    aliases: new AliasRepository(clients.dynamo, config.tableName),
    completions: new CompletionLogRepository(clients.dynamo, config.tableName),
    ...(dispatcher ? { dispatcher } : {}),
  });
}

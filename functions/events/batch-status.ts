import { Logger } from '@aws-lambda-powertools/logger';
import { requiredBatchDispatcherFromEnv } from '#aws/batch-dispatcher.ts';
import { createClients } from '#aws/clients.ts';
import { parseConfig } from '#aws/config.ts';
import {
  createBatchStatusHandler,
  createLifecycleDeps,
  STATUS_SERVICE_NAME,
} from '#events/batch-status-event.ts';

/**
 * The status Lambda's entry point and composition root: configuration and AWS Batch settings parsed once
 * per execution environment, at init, and the handler of batch-status-event.ts built over them.
 */
const config = parseConfig(process.env);
const deps = createLifecycleDeps(
  config,
  createClients(config),
  requiredBatchDispatcherFromEnv(process.env, config),
);

export const handler = createBatchStatusHandler(deps, new Logger({ serviceName: STATUS_SERVICE_NAME }));

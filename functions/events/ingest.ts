import { Logger } from '@aws-lambda-powertools/logger';
import { createClients } from '#aws/clients.ts';
import { parseConfig } from '#aws/config.ts';
import { loadDatasetTokenizer } from '#events/dataset-tokenizer.ts';
import { createIngestHandler, ingestDeps } from '#events/ingest-handler.ts';

/**
 * The ingestion Lambda's entry point and composition root: configuration, clients and the tokenizer (which
 * parses the whole vocabulary) built once per execution environment, at init.
 */
const config = parseConfig(process.env);
const logger = new Logger({ serviceName: 'attune-ingest' });

export const handler = createIngestHandler(
  ingestDeps(config, createClients(config), loadDatasetTokenizer(), logger),
);

/**
 * The ingestion Lambda: S3 `ObjectCreated` notifications in, file records updated. Thin on purpose: the
 * work is `ingestObject`; this wires it to the process's clients and tokenizer, built once per container
 * (the embedded stack imports this module only after it has set the environment).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, S3Event } from 'aws-lambda';
import { getClients } from '#aws/clients.ts';
import { getConfig } from '#aws/config.ts';
import { FileRepository } from '#aws/file-repository.ts';
import { ObjectStore } from '#aws/object-store.ts';
import { loadDatasetTokenizer } from '#events/dataset-tokenizer.ts';
import { type IngestDependencies, type IngestResult, ingestObject } from '#events/ingest-object.ts';
import { createdObjects } from '#events/s3-event.ts';

/**
 * Time kept back from the Lambda's deadline to record the outcome of a file that could not be read in
 * time (a quarter of the remaining time when that is shorter, so a short timeout still validates).
 */
const OUTCOME_MARGIN_MS = 20_000;

const logger = new Logger({ serviceName: 'attune-ingest' });
const config = getConfig();
const clients = getClients(config);
const dependencies: IngestDependencies = {
  files: new FileRepository(clients.dynamo, config.tableName),
  objects: new ObjectStore(clients.s3, config.bucketName),
  tokenizer: loadDatasetTokenizer(),
  logger,
};

/**
 * Ingests every created object of the event, one after another. An infrastructure error rejects the whole
 * invocation so Lambda retries it; records already done are then skipped by their claims.
 */
export async function handler(event: S3Event, context?: Context): Promise<IngestResult[]> {
  if (context) logger.addContext(context);
  const results: IngestResult[] = [];
  for (const object of createdObjects(event)) {
    if (object.bucket !== config.bucketName) {
      logger.warn('Ignored an object of another bucket', { bucket: object.bucket, key: object.key });
      results.push({ outcome: 'ignored' });
      continue;
    }
    const remaining = context?.getRemainingTimeInMillis();
    const deadline =
      remaining === undefined
        ? undefined
        : Date.now() + remaining - Math.min(OUTCOME_MARGIN_MS, remaining / 4);
    results.push(await ingestObject(dependencies, object, deadline === undefined ? {} : { deadline }));
  }
  return results;
}

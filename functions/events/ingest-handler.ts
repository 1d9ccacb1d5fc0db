/**
 * The ingestion handler: S3 `ObjectCreated` notifications in, file records updated. Thin on purpose: the
 * work is `ingestObject`; this walks the event's objects and gives each a deadline.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, S3Event } from 'aws-lambda';
import type { AwsClients } from '#aws/clients.ts';
import type { AttuneConfig } from '#aws/config.ts';
import { createStores } from '#aws/stores.ts';
import type { DatasetTokenizer } from '#events/dataset-tokenizer.ts';
import { type IngestDependencies, type IngestResult, ingestObject } from '#events/ingest-object.ts';
import { createdObjects } from '#events/s3-event.ts';

/**
 * Time kept back from the Lambda's deadline to record the outcome of a file that could not be read in
 * time (a quarter of the remaining time when that is shorter, so a short timeout still validates).
 */
const OUTCOME_MARGIN_MS = 20_000;

export interface IngestHandlerDeps extends IngestDependencies {
  /** The bucket whose objects are the team's files; an event of another bucket is ignored. */
  readonly bucketName: string;
  readonly logger: Logger;
}

/** Ingestion's repositories over one set of clients, with the tokenizer that counts (parsed by the caller). */
export function ingestDeps(
  config: AttuneConfig,
  clients: AwsClients,
  tokenizer: DatasetTokenizer,
  logger: Logger,
): IngestHandlerDeps {
  const { files, objects } = createStores(config, clients);
  return {
    files,
    objects,
    tokenizer,
    logger,
    bucketName: config.bucketName,
  };
}

/**
 * Ingests every created object of the event, one after another. An infrastructure error rejects the whole
 * invocation so Lambda retries it; records already done are then skipped by their claims.
 */
export function createIngestHandler(deps: IngestHandlerDeps) {
  const { logger } = deps;
  return async (event: S3Event, context?: Context): Promise<IngestResult[]> => {
    if (context) logger.addContext(context);
    const results: IngestResult[] = [];
    for (const object of createdObjects(event)) {
      if (object.bucket !== deps.bucketName) {
        logger.warn('Ignored an object of another bucket', { bucket: object.bucket, key: object.key });
        results.push({ outcome: 'ignored' });
        continue;
      }
      const remaining = context?.getRemainingTimeInMillis();
      const deadline =
        remaining === undefined
          ? undefined
          : Date.now() + remaining - Math.min(OUTCOME_MARGIN_MS, remaining / 4);
      results.push(await ingestObject(deps, object, deadline === undefined ? {} : { deadline }));
    }
    return results;
  };
}

/**
 * Ingestion of one uploaded object: claim it, stream it through validation and measurement, record the
 * outcome. Everything here is idempotent: S3 may deliver an event twice, Lambda retries failures, and a
 * write of the same object version is processed exactly once (the claim is a conditional write).
 *
 * A bad dataset is an outcome (`error` status with the first bad lines), never an exception. An exception
 * means the infrastructure failed (S3 or DynamoDB unreachable, throttled, the stream cut): the claim is
 * released and the error propagates, so Lambda retries the event and the dead-letter queue catches it.
 */
import { type DatasetAnalysis, DatasetAnalyzer, ingestionOutcome } from '#core/dataset/analyse.ts';
import type { FileIngestionStore, ObjectStorage } from '#core/files/ports.ts';
import type { DatasetReport, FileStatus } from '#core/files.ts';
import { parseFileObjectKey } from '#core/files.ts';
import type { DatasetTokenizer } from '#events/dataset-tokenizer.ts';
import type { CreatedObject } from '#events/s3-event.ts';

/** The logging ingestion needs; Powertools' Logger fits, tests pass a recorder. */
export interface IngestLogger {
  info(message: string, ...extra: Array<Record<string, unknown>>): void;
  warn(message: string, ...extra: Array<Record<string, unknown>>): void;
  error(message: string, ...extra: Array<Record<string, unknown>>): void;
}

export interface IngestDependencies {
  readonly files: FileIngestionStore;
  readonly objects: Pick<ObjectStorage, 'stream'>;
  readonly tokenizer: DatasetTokenizer;
  readonly logger: IngestLogger;
}

export type IngestResult =
  /** The key is outside every team's file prefix (or in another bucket): nothing was done. */
  | { outcome: 'ignored' }
  /** No claim: no such file record, the file is already ingested, or another delivery is ingesting it. */
  | { outcome: 'skipped' }
  /** Ingested, but the record changed meanwhile (deleted, or claimed anew): nothing recorded. */
  | { outcome: 'superseded'; report: DatasetReport }
  | { outcome: Exclude<FileStatus, 'uploaded'>; report: DatasetReport };

export interface IngestOptions {
  /**
   * Epoch milliseconds by which the outcome must be recorded (the Lambda's own deadline less a margin).
   * A file not read by then is rejected with `validation_timeout` rather than left `uploaded` forever by
   * an invocation that the runtime kills mid-stream.
   */
  deadline?: number;
}

export async function ingestObject(
  deps: IngestDependencies,
  object: CreatedObject,
  options: IngestOptions = {},
): Promise<IngestResult> {
  const { files, objects, logger } = deps;
  const owner = parseFileObjectKey(object.key);
  if (!owner) {
    logger.info('Ignored an object outside every team file prefix', { key: object.key.slice(0, 512) });
    return { outcome: 'ignored' };
  }
  const { team, fileId } = owner;
  const context = { team, fileId, key: object.key, version: object.version };
  if (!(await files.claimIngestion(team, fileId, object.version))) {
    logger.info('Skipped: no file record, already ingested, or being ingested', context);
    return { outcome: 'skipped' };
  }

  const started = performance.now();
  let analysis: DatasetAnalysis;
  try {
    const { body } = await objects.stream(object.key, object.versionId);
    analysis = await analyseUntil(body, deps, options.deadline);
  } catch (error) {
    await releaseClaim(deps, team, fileId, object.version);
    throw error;
  }
  const { status, statusDetails } = ingestionOutcome(analysis);
  const { report } = analysis;
  const completed = await files.completeIngestion(team, fileId, object.version, {
    status,
    statusDetails,
    bytes: analysis.bytes,
    report,
  });
  const seconds = (performance.now() - started) / 1000;
  const measured = {
    ...context,
    status,
    bytes: analysis.bytes,
    examples: report.examples,
    invalidLines: analysis.validation.invalidLines,
    seconds: Math.round(seconds * 1000) / 1000,
    megabytesPerSecond: seconds > 0 ? Math.round((analysis.bytes / 1e6 / seconds) * 100) / 100 : null,
  };
  if (!completed) {
    logger.warn('Ingested, but the file record changed meanwhile; nothing recorded', measured);
    return { outcome: 'superseded', report };
  }
  logger.info(status === 'processed' ? 'Dataset processed' : 'Dataset rejected', measured);
  return { outcome: status, report };
}

async function analyseUntil(
  body: AsyncIterable<Uint8Array>,
  deps: IngestDependencies,
  deadline: number | undefined,
): Promise<DatasetAnalysis> {
  const { tokenizer } = deps;
  const analyzer = new DatasetAnalyzer({ countExample: tokenizer.countExample, tokenizer: tokenizer.name });
  for await (const chunk of body) {
    if (deadline !== undefined && Date.now() > deadline) {
      // Leaving the loop destroys the stream, so the rest of the object is not downloaded.
      return analyzer.stop(
        'Validation ran out of time before the end of the file; split it into smaller files.',
      );
    }
    analyzer.push(chunk);
  }
  return analyzer.end();
}

/** Best effort: if even the release fails, the lease expires on its own; the original error matters more. */
async function releaseClaim(deps: IngestDependencies, team: string, fileId: string, version: string) {
  try {
    await deps.files.releaseIngestion(team, fileId, version);
  } catch (error) {
    deps.logger.error('Could not release the ingestion claim', {
      team,
      fileId,
      version,
      error: String(error),
    });
  }
}

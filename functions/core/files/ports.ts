import type { Readable } from 'node:stream';
import { AttuneError } from '#core/errors.ts';
import type { DatasetReport, FileRecord, FileStatus } from '#core/files.ts';

/**
 * What the files domain needs from storage, implemented over DynamoDB and S3 in functions/aws/. Routes,
 * ingestion and the trainer reach files only through these, so no SDK detail leaks past the adapters.
 */

export interface FileStore {
  /** Creates the record; fails if the id is taken. */
  create(record: FileRecord): Promise<void>;
  /** The team's file, or undefined (absent or another team's: the same answer on purpose). */
  get(team: string, fileId: string): Promise<FileRecord | undefined>;
  /** Newest first; up to `limit + 1` records so the caller can tell whether more exist. */
  list(team: string, limit: number, after?: string): Promise<FileRecord[]>;
  /** False when there was none. */
  delete(team: string, fileId: string): Promise<boolean>;
}

/** What ingestion records when it has read a file. */
export interface IngestionOutcome {
  readonly status: Exclude<FileStatus, 'uploaded'>;
  readonly statusDetails: string | null;
  readonly bytes: number;
  readonly report: DatasetReport;
}

/**
 * The file records as ingestion changes them: a claim per object version (S3 may deliver an event twice;
 * only one delivery may ingest), its outcome, and its release when the infrastructure failed.
 */
export interface FileIngestionStore {
  /** False when that version was already ingested or is being ingested under a live claim. */
  claimIngestion(team: string, fileId: string, version: string): Promise<boolean>;
  /** False when the claim was lost or the file deleted meanwhile: nothing was recorded. */
  completeIngestion(
    team: string,
    fileId: string,
    version: string,
    outcome: IngestionOutcome,
  ): Promise<boolean>;
  releaseIngestion(team: string, fileId: string, version: string): Promise<boolean>;
}

/** An object's bytes as a stream, with its length. */
export interface StoredObject {
  readonly body: Readable;
  readonly bytes: number;
}

/** The bucket as the domain needs it: whole objects in, streams out, presigned URLs for large transfers. */
export interface ObjectStorage {
  put(key: string, body: Uint8Array | string, contentType?: string): Promise<void>;
  /** Throws {@link ObjectNotFoundError} when there is no such object. */
  stream(key: string, versionId?: string): Promise<StoredObject>;
  exists(key: string): Promise<boolean>;
  delete(key: string): Promise<void>;
  /** Deletes every object under a directory prefix; returns how many. */
  deletePrefix(prefix: string): Promise<number>;
  presignGet(key: string, expiresInSeconds: number, contentDisposition?: string): Promise<string>;
  presignPut(key: string, expiresInSeconds: number, contentType?: string, bytes?: number): Promise<string>;
}

/** The bucket has no object under the key: the adapter's translation of its SDK's own error. */
export class ObjectNotFoundError extends AttuneError {
  readonly key: string;

  constructor(key: string, options?: { cause?: unknown }) {
    super(`The object '${key}' does not exist.`, options);
    this.name = 'ObjectNotFoundError';
    this.key = key;
  }
}

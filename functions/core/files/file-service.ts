import type { Readable } from 'node:stream';
import { type Clock, epochSeconds } from '#core/clock.ts';
import { NotFoundError, ValidationError } from '#core/errors.ts';
import { type FileStore, ObjectNotFoundError, type ObjectStorage } from '#core/files/ports.ts';
import { type FileRecord, fileObjectKey, validateFilename } from '#core/files.ts';
import { newId } from '#core/ids.ts';
import type { PageRequest } from '#core/pagination.ts';

/**
 * OpenAI's Files API without HTTP: the order of writes and deletes that keeps a record and its object
 * consistent, filtered paging, and content answered inline or by redirect. Routes parse and call one of these.
 */

export interface FileServiceDeps {
  readonly files: FileStore;
  readonly objects: ObjectStorage;
  readonly now: Clock;
  /** Told when cleaning up after a failed upload fails too; the upload's own error is what is thrown. */
  readonly onCleanupError: (error: unknown, fileId: string) => void;
}

/**
 * Content up to this size is answered inline. A Lambda response is at most 6 MB and binary bodies travel
 * base64-encoded (4/3 larger), so anything bigger is answered with a redirect to a short-lived presigned S3
 * GET instead, the same way on every host so that clients see one behaviour (the `openai` client and
 * `curl -L` follow it; fetch drops the API key on the cross-origin hop, as S3 requires).
 */
export const MAX_INLINE_CONTENT_BYTES = 4 * 1024 * 1024;

/** Long enough to start a download, short enough that a leaked URL soon stops working. */
export const CONTENT_URL_TTL_SECONDS = 300;

/** OpenAI's wording for a file that is not there, used alike for absent, malformed and other teams' ids. */
export function fileNotFound(id: string): NotFoundError {
  return new NotFoundError(`No such File object: ${id.slice(0, 80)}`, { param: 'id' });
}

function newFileRecord(
  team: string,
  file: { filename: string; purpose: string; bytes: number },
  now: Clock,
): FileRecord {
  const id = newId('file');
  return {
    team,
    id,
    filename: file.filename,
    purpose: file.purpose,
    bytes: file.bytes,
    createdAt: epochSeconds(now),
    status: 'uploaded',
    statusDetails: null,
    objectKey: fileObjectKey(team, id),
  };
}

/**
 * Stores an accepted upload: the record first, then the object. The object's arrival is what triggers
 * ingestion, and ingestion only claims a file whose record exists, so the record must be there before the
 * first byte lands; the other order would race the S3 event and could leave an object no record owns
 * (invisible to the team, never ingested, never deleted). If the object write fails the record is deleted
 * again, so a failed upload leaves nothing; only a crash between the two writes can leave a record in
 * `uploaded` without content, which the team sees, can delete, and whose content answers 404.
 */
export async function uploadFile(
  deps: FileServiceDeps,
  team: string,
  upload: { filename: string; purpose: string; content: Uint8Array },
): Promise<FileRecord> {
  const record = newFileRecord(team, { ...upload, bytes: upload.content.byteLength }, deps.now);
  await deps.files.create(record);
  try {
    await deps.objects.put(record.objectKey, upload.content);
  } catch (error) {
    await deps.files
      .delete(team, record.id)
      .catch((cleanup: unknown) => deps.onCleanupError(cleanup, record.id));
    throw error;
  }
  return record;
}

/** A presigned upload: the file's record, in `uploaded`, and the URL that accepts exactly `bytes`. */
export interface PresignedUpload {
  readonly record: FileRecord;
  readonly uploadUrl: string;
  /** Unix seconds. */
  readonly expiresAt: number;
}

/**
 * A large upload that goes straight to the bucket. The URL is signed first (nothing is written if that
 * fails), then the record is created before the URL is handed out, so the object's arrival finds a record
 * to ingest against. The URL signs the declared `bytes` as Content-Length, so S3 refuses any other size.
 */
export async function createPresignedUpload(
  deps: Pick<FileServiceDeps, 'files' | 'objects' | 'now'>,
  team: string,
  upload: { filename: string; purpose: string; bytes: number },
  ttlSeconds: number,
): Promise<PresignedUpload> {
  let filename: string;
  try {
    filename = validateFilename(upload.filename);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    throw new ValidationError(error.message, { param: 'filename', code: error.code, cause: error });
  }
  const record = newFileRecord(team, { ...upload, filename }, deps.now);
  const uploadUrl = await deps.objects.presignPut(record.objectKey, ttlSeconds, undefined, upload.bytes);
  await deps.files.create(record);
  return { record, uploadUrl, expiresAt: record.createdAt + ttlSeconds };
}

/**
 * A page of the team's files, newest first, optionally only one purpose. Filtering happens after the query,
 * so it reads further pages until it has `limit + 1` matches or runs out, keeping `has_more` truthful.
 */
export async function listFiles(
  deps: Pick<FileServiceDeps, 'files'>,
  team: string,
  page: PageRequest,
  purpose: string | undefined,
): Promise<FileRecord[]> {
  if (purpose === undefined) return deps.files.list(team, page.limit, page.after);
  const matched: FileRecord[] = [];
  let after = page.after;
  for (;;) {
    const batch = await deps.files.list(team, page.limit, after);
    for (const record of batch) {
      if (record.purpose === purpose) matched.push(record);
      if (matched.length > page.limit) return matched;
    }
    const last = batch[batch.length - 1];
    if (batch.length <= page.limit || last === undefined) return matched;
    after = last.id;
  }
}

/** The team's file; absent and another team's are the same 404. */
export async function getFile(
  deps: Pick<FileServiceDeps, 'files'>,
  team: string,
  id: string,
): Promise<FileRecord> {
  const record = await deps.files.get(team, id);
  if (!record) throw fileNotFound(id);
  return record;
}

/** A file's content: its bytes inline, or where to fetch them when they are too large for one answer. */
export type FileContent =
  | { readonly kind: 'inline'; readonly body: Readable; readonly bytes: number; readonly filename: string }
  | { readonly kind: 'redirect'; readonly url: string };

/** `Content-Disposition` for a validated file name, in RFC 6266's UTF-8 form so any name survives. */
export function attachment(filename: string): string {
  return `attachment; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

/** The team's file content; a record whose upload has not arrived is a 404 that says so. */
export async function fileContent(
  deps: Pick<FileServiceDeps, 'files' | 'objects'>,
  team: string,
  id: string,
): Promise<FileContent> {
  const record = await getFile(deps, team, id);
  let object: Awaited<ReturnType<ObjectStorage['stream']>>;
  try {
    object = await deps.objects.stream(record.objectKey);
  } catch (error) {
    if (!(error instanceof ObjectNotFoundError)) throw error;
    throw new NotFoundError(`File ${id} has no content yet: its upload has not arrived.`, {
      param: 'id',
      cause: error,
    });
  }
  if (object.bytes <= MAX_INLINE_CONTENT_BYTES) {
    return { kind: 'inline', body: object.body, bytes: object.bytes, filename: record.filename };
  }
  object.body.destroy();
  const url = await deps.objects.presignGet(
    record.objectKey,
    CONTENT_URL_TTL_SECONDS,
    attachment(record.filename),
  );
  return { kind: 'redirect', url };
}

/**
 * Deletes the team's file: the object first, then the record. If the record delete then fails, a retried
 * DELETE still finds the record and finishes; the other order could strand an object no record points to.
 */
export async function deleteFile(
  deps: Pick<FileServiceDeps, 'files' | 'objects'>,
  team: string,
  id: string,
): Promise<void> {
  const record = await getFile(deps, team, id);
  await deps.objects.delete(record.objectKey);
  await deps.files.delete(team, id);
}

import { fileNotFound } from '#core/files/file-service.ts';
import { isWellFormedId } from '#core/ids.ts';

/**
 * The path's file id, or the same 404 a missing file gets: a malformed id never reaches a DynamoDB or S3
 * key, and its answer says nothing that a well-formed unknown id's answer would not.
 */
export function requireFileId(id: string): string {
  if (!isWellFormedId(id, 'file')) throw fileNotFound(id);
  return id;
}

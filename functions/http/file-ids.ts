import { NotFoundError } from '#core/errors.ts';
import { isWellFormedId } from '#core/ids.ts';

/** OpenAI's wording for a file that is not there, used alike for absent, malformed and other teams' ids. */
export function fileNotFound(id: string): NotFoundError {
  return new NotFoundError(`No such File object: ${id.slice(0, 80)}`, { param: 'id' });
}

/**
 * The path's file id, or the same 404 a missing file gets: a malformed id never reaches a DynamoDB or S3
 * key, and its answer says nothing that a well-formed unknown id's answer would not.
 */
export function requireFileId(id: string): string {
  if (!isWellFormedId(id, 'file')) throw fileNotFound(id);
  return id;
}

import { ValidationError } from '#core/errors.ts';
import { isWellFormedId } from '#core/ids.ts';
import { MetadataSchema } from '#core/jobs/job-request.ts';
import { type PageRequest, parsePageRequest } from '#core/pagination.ts';

/**
 * A list route's `limit` and `after`, with `after` checked to be an id of the listed kind: a malformed
 * cursor is a 400 that names it, and never reaches a DynamoDB key.
 */
export function pageOf(query: Record<string, string>, prefix: string): PageRequest {
  const page = parsePageRequest(query);
  if (page.after !== undefined && !isWellFormedId(page.after, prefix)) {
    throw new ValidationError(
      `Invalid value for 'after': '${page.after.slice(0, 80)}' is not a ${prefix} id.`,
      { param: 'after', code: 'invalid_value' },
    );
  }
  return page;
}

const MAX_IDEMPOTENCY_KEY = 255;

/** The `Idempotency-Key` header: printable ASCII, at most 255 characters; absent means no idempotency. */
export function idempotencyKeyOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (header.length === 0 || header.length > MAX_IDEMPOTENCY_KEY || !/^[\x21-\x7e]+$/.test(header)) {
    throw new ValidationError(
      `The Idempotency-Key header must be 1-${MAX_IDEMPOTENCY_KEY} printable ASCII characters without spaces.`,
      { param: 'Idempotency-Key', code: 'invalid_idempotency_key' },
    );
  }
  return header;
}

/** `metadata[key]=value` query parameters, as OpenAI's clients send a metadata filter. */
export function metadataFilterOf(query: Record<string, string>): Record<string, string> | undefined {
  const pairs: Record<string, string> = {};
  for (const [name, value] of Object.entries(query)) {
    const match = /^metadata\[(.+)\]$/.exec(name);
    if (match?.[1] !== undefined) pairs[match[1]] = value;
  }
  if (Object.keys(pairs).length === 0) return undefined;
  const parsed = MetadataSchema.safeParse(pairs);
  if (!parsed.success) {
    throw new ValidationError(`Invalid metadata filter: ${parsed.error.issues[0]?.message ?? 'invalid'}`, {
      param: 'metadata',
    });
  }
  return parsed.data;
}

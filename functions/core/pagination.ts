import { ValidationError } from '#core/errors.ts';

/** OpenAI's list envelope, which the official client's auto-paging reads. */
export interface ListPage<T extends { id: string }> {
  object: 'list';
  data: T[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

export interface PageRequest {
  readonly limit: number;
  readonly after?: string;
}

export const DEFAULT_PAGE_LIMIT = 20;
export const MAX_PAGE_LIMIT = 100;

/** Parses `limit` and `after` query values; a bad limit is a 400 that names the parameter. */
export function parsePageRequest(query: { limit?: string; after?: string }): PageRequest {
  let limit = DEFAULT_PAGE_LIMIT;
  if (query.limit !== undefined) {
    const n = Number(query.limit);
    if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_LIMIT) {
      throw new ValidationError(`limit must be an integer between 1 and ${MAX_PAGE_LIMIT}.`, {
        param: 'limit',
      });
    }
    limit = n;
  }
  const after = query.after === undefined || query.after === '' ? undefined : query.after;
  return after === undefined ? { limit } : { limit, after };
}

/** Builds the envelope from up to `limit + 1` items: the extra one only says there is more. */
export function toListPage<T extends { id: string }>(items: T[], limit: number): ListPage<T> {
  const data = items.slice(0, limit);
  return {
    object: 'list',
    data,
    first_id: data[0]?.id ?? null,
    last_id: data[data.length - 1]?.id ?? null,
    has_more: items.length > limit,
  };
}

import { describe, expect, it } from 'vitest';
import { ValidationError } from '#core/errors.ts';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, parsePageRequest, toListPage } from '#core/pagination.ts';

describe('parsePageRequest (the list routes query)', () => {
  it('Given no query, when parsed, then the default limit and no cursor', () => {
    expect(parsePageRequest({})).toEqual({ limit: DEFAULT_PAGE_LIMIT });
  });

  it('Given limit and after, when parsed, then both are kept', () => {
    expect(parsePageRequest({ limit: '5', after: 'file-x' })).toEqual({ limit: 5, after: 'file-x' });
  });

  it('Given an empty after, when parsed, then it is ignored', () => {
    expect(parsePageRequest({ after: '' })).toEqual({ limit: DEFAULT_PAGE_LIMIT });
  });

  it.each(['0', '-1', '2.5', 'ten', String(MAX_PAGE_LIMIT + 1), ''])(
    'Given limit=%j, when parsed, then 400 naming limit',
    (limit) => {
      const error = (() => {
        try {
          parsePageRequest({ limit });
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).param).toBe('limit');
    },
  );
});

describe('toListPage', () => {
  it('Given limit + 1 items, when paged, then limit items and has_more', () => {
    const page = toListPage([{ id: 'a' }, { id: 'b' }, { id: 'c' }], 2);
    expect(page).toEqual({
      object: 'list',
      data: [{ id: 'a' }, { id: 'b' }],
      first_id: 'a',
      last_id: 'b',
      has_more: true,
    });
  });

  it('Given no items, when paged, then an empty list with null ids', () => {
    expect(toListPage([], 2)).toEqual({
      object: 'list',
      data: [],
      first_id: null,
      last_id: null,
      has_more: false,
    });
  });
});

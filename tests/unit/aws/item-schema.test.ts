import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { itemKey, parseItem } from '#aws/item-schema.ts';
import { AttuneError, CorruptItemError, HttpError } from '#core/errors.ts';
import { mapError } from '#http/error-mapper.ts';

const schema = z.object({ id: z.string(), status: z.enum(['open', 'closed']), size: z.number().optional() });
const item = { pk: 'TEAM#sales', sk: 'THING#t-1', rank: 2, id: 't-1', status: 'open' };

const parseThing = (bad: Record<string, unknown>) => () => parseItem(schema, bad, 'thing');

describe('parseItem', () => {
  it('Given a well-formed item, when parsed, then the record comes back without the table attributes', () => {
    expect(parseItem(schema, item, 'thing')).toEqual({ id: 't-1', status: 'open' });
  });

  it('Given an item with a bad field, when parsed, then the error names the kind, the key and the field', () => {
    expect(parseThing({ ...item, status: 'lost' })).toThrow(
      expect.objectContaining({
        name: 'CorruptItemError',
        kind: 'thing',
        key: 'TEAM#sales/THING#t-1',
        message:
          'Malformed thing item TEAM#sales/THING#t-1: status: Invalid option: expected one of "open"|"closed"',
      }),
    );
  });

  it('Given an item with several bad fields, when parsed, then the error lists each of them', () => {
    expect(parseThing({ ...item, id: 7, size: 'big' })).toThrow(
      'id: Invalid input: expected string, received number; size: Invalid input: expected number, received string',
    );
  });

  it('Given a malformed item, when parsed, then the error keeps the ZodError as its cause', () => {
    expect(parseThing({ ...item, status: undefined })).toThrow(
      expect.objectContaining({ cause: expect.any(z.ZodError) }),
    );
  });

  it('Given an item with a bad nested field, when parsed, then the error names its dotted path', () => {
    const nested = z.object({ cost: z.object({ usd: z.number() }) });
    expect(() => parseItem(nested, { pk: 'P', sk: 'S', cost: { usd: null } }, 'job')).toThrow(
      'Malformed job item P/S: cost.usd: Invalid input: expected number, received null',
    );
  });
});

describe('itemKey', () => {
  it('Given an item without keys (one built in memory), when named, then the missing parts show as ?', () => {
    expect(itemKey({ id: 'x' })).toBe('?/?');
  });
});

describe('CorruptItemError', () => {
  it('Given a corrupt item, when the error reaches the HTTP boundary, then it is a bare 500', () => {
    const error = new CorruptItemError('file', 'TEAM#a/FILE#b', 'status: Invalid option');
    expect(error).toBeInstanceOf(AttuneError);
    expect(error).not.toBeInstanceOf(HttpError);
    const mapped = mapError(error);
    expect(mapped.status).toBe(500);
    expect(mapped.unexpected).toBe(true);
    expect(JSON.stringify(mapped.body)).not.toContain('FILE#b');
  });
});

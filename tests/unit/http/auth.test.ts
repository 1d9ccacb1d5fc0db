import { describe, expect, it } from 'vitest';
import { AuthenticationError } from '#core/errors.ts';
import { parseBearerToken } from '#http/auth.ts';

function failureOf(header: string | undefined): AuthenticationError {
  try {
    parseBearerToken(header);
  } catch (error) {
    if (error instanceof AuthenticationError) return error;
    throw error;
  }
  throw new Error('expected parseBearerToken to throw');
}

describe('parseBearerToken', () => {
  it('Given "Bearer <key>", when parsed, then the key is returned', () => {
    expect(parseBearerToken('Bearer sk-attune-abc_DEF-123')).toBe('sk-attune-abc_DEF-123');
  });

  it('Given a lower-case scheme and surrounding spaces, when parsed, then the key is returned', () => {
    expect(parseBearerToken('  bearer sk-attune-x  ')).toBe('sk-attune-x');
  });

  it.each([undefined, '', '   '])(
    'Given the missing header %j, when parsed, then 401 missing_api_key',
    (header) => {
      const error = failureOf(header);
      expect(error.statusCode).toBe(401);
      expect(error.code).toBe('missing_api_key');
    },
  );

  it.each([
    'Basic dXNlcjpwYXNz',
    'Bearer',
    'Bearer ',
    'Bearer a b',
    'sk-attune-abc',
    'Bearer key\u00e9',
    `Bearer ${'k'.repeat(257)}`,
  ])('Given the malformed header %j, when parsed, then 401 invalid_api_key', (header) => {
    const error = failureOf(header);
    expect(error.statusCode).toBe(401);
    expect(error.code).toBe('invalid_api_key');
  });
});

import { describe, expect, it } from 'vitest';
import { encodeS3EventKey } from '#local/s3-local.ts';

describe('S3 notification key encoding', () => {
  it('given a key with spaces and reserved characters, when encoded, then it reads as S3 sends it', () => {
    expect(encodeS3EventKey('teams/a/files/my data+v1 (final).jsonl')).toBe(
      'teams/a/files/my+data%2Bv1+(final).jsonl',
    );
  });

  it('given a decoded S3 key, when encoded then decoded the way handlers do, then it is unchanged', () => {
    const key = 'teams/t-1/files/ünïcødé & more.jsonl';
    expect(decodeURIComponent(encodeS3EventKey(key).replace(/\+/g, ' '))).toBe(key);
  });
});

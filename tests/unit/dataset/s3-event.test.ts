import type { S3Event, S3EventRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createdObjects, decodeS3EventKey } from '#events/s3-event.ts';

function record(
  eventName: string,
  object: Partial<S3EventRecord['s3']['object']> & { key: string },
): S3EventRecord {
  return {
    eventName,
    s3: { bucket: { name: 'b' }, object: { size: 10, sequencer: '0A1B', ...object } },
  } as unknown as S3EventRecord;
}

describe('decodeS3EventKey', () => {
  it("given '+' and %XX as S3 sends them, when decoded, then spaces and characters come back", () => {
    expect(decodeS3EventKey('teams/a/my+data%2Bv1+%28final%29.jsonl')).toBe(
      'teams/a/my data+v1 (final).jsonl',
    );
  });
});

describe('createdObjects', () => {
  it('given a versioned object, when read, then the version id is both read version and claim', () => {
    const event: S3Event = {
      Records: [record('ObjectCreated:Put', { key: 'k', versionId: 'v1', eTag: 'e' })],
    };
    expect(createdObjects(event)).toEqual([
      { bucket: 'b', key: 'k', versionId: 'v1', version: 'v1', size: 10 },
    ]);
  });

  it('given an unversioned object, when read, then the claim is the eTag and sequencer', () => {
    const event: S3Event = { Records: [record('ObjectCreated:Post', { key: 'k', eTag: 'e' })] };
    expect(createdObjects(event)).toEqual([{ bucket: 'b', key: 'k', version: 'etag:e:0A1B', size: 10 }]);
  });

  it('given a removal record, when read, then it is left out', () => {
    const event: S3Event = { Records: [record('ObjectRemoved:Delete', { key: 'k' })] };
    expect(createdObjects(event)).toEqual([]);
  });
});

/**
 * The S3 notification, reduced to what ingestion needs. S3 URL-encodes object keys in notifications
 * (a space arrives as '+', other reserved characters as %XX), so keys are decoded here, once.
 */
import type { S3Event } from 'aws-lambda';

/** One created object, as ingestion sees it. */
export interface CreatedObject {
  bucket: string;
  /** The key as stored, decoded. */
  key: string;
  /** Present when the bucket is versioned: the exact version to read and claim. */
  versionId?: string;
  /**
   * What makes this write unique, for the idempotency claim: the version id in a versioned bucket;
   * otherwise (s3rver, unversioned buckets) the eTag and S3's sequencer, which differ between two writes
   * of the same key and are equal in two deliveries of one write.
   */
  version: string;
  size: number;
}

/** Decodes a key as S3 encodes it in event notifications. */
export function decodeS3EventKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

/** The `ObjectCreated:*` records of an S3 event; other records (removals) are not ingestion's concern. */
export function createdObjects(event: S3Event): CreatedObject[] {
  return (event.Records ?? [])
    .filter((record) => record.eventName?.startsWith('ObjectCreated:'))
    .map((record) => {
      const { bucket, object } = record.s3;
      const versionId = object.versionId || undefined;
      return {
        bucket: bucket.name,
        key: decodeS3EventKey(object.key),
        ...(versionId ? { versionId } : {}),
        version: versionId ?? `etag:${object.eTag ?? ''}:${object.sequencer}`,
        size: object.size ?? 0,
      };
    });
}

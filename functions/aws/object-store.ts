import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ObjectNotFoundError, type ObjectStorage, type StoredObject } from '#core/files/ports.ts';

/** The bucket as the domain needs it: whole objects in, streams out, presigned PUTs for large uploads. */
export class ObjectStore implements ObjectStorage {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async put(key: string, body: Uint8Array | string, contentType = 'application/octet-stream'): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }),
    );
  }

  /**
   * A readable stream of the object, so callers can process files larger than memory. S3's `NoSuchKey`
   * becomes the domain's {@link ObjectNotFoundError}, so no caller needs to know the SDK's error names.
   */
  async stream(key: string, versionId?: string): Promise<StoredObject> {
    let out: GetObjectCommandOutput;
    try {
      out = await this.s3.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: key,
          ...(versionId ? { VersionId: versionId } : {}),
        }),
      );
    } catch (error) {
      if ((error as Error).name === 'NoSuchKey') throw new ObjectNotFoundError(key, { cause: error });
      throw error;
    }
    if (!out.Body) throw new Error(`Object ${key} has no body`);
    return { body: out.Body as Readable, bytes: out.ContentLength ?? 0 };
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'NotFound' || name === 'NoSuchKey') return false;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  /**
   * Deletes every object whose key starts with `prefix` (a model's artifact directory), a page of up to
   * 1,000 keys per request; returns how many were deleted. An object S3 could not delete is an error that
   * names it, so the caller can keep the record that points at what is left and let the client retry.
   */
  async deletePrefix(prefix: string): Promise<number> {
    if (prefix === '' || !prefix.endsWith('/')) {
      throw new RangeError(`deletePrefix needs a directory prefix ending in '/', got '${prefix}'`);
    }
    let deleted = 0;
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
      if (keys.length > 0) {
        const out = await this.s3.send(
          new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys, Quiet: true } }),
        );
        const failed = out.Errors ?? [];
        if (failed.length > 0) {
          throw new Error(
            `S3 did not delete ${failed.length} object(s) under ${prefix}, e.g. ${failed[0]?.Key}: ${failed[0]?.Message ?? failed[0]?.Code}`,
          );
        }
        deleted += keys.length;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return deleted;
  }

  /**
   * A URL that lets its holder GET exactly this key until it expires: how content too large for a Lambda
   * response (6 MB) is handed out. `contentDisposition` is what S3 answers as `Content-Disposition`.
   */
  async presignGet(key: string, expiresInSeconds: number, contentDisposition?: string): Promise<string> {
    return getSignedUrl(
      this.s3,
      new GetObjectCommand({
        Bucket: this.bucket,
        Key: key,
        ...(contentDisposition ? { ResponseContentDisposition: contentDisposition } : {}),
      }),
      { expiresIn: expiresInSeconds },
    );
  }

  /**
   * A URL that lets its holder PUT exactly this key until it expires; nothing else in the bucket. With
   * `contentLength`, the length is signed too, so S3 refuses a body of any other size.
   *
   * The SDK's default flexible checksums would sign the CRC32 of the (empty) body at presign time into the
   * URL (`x-amz-checksum-crc32=AAAAAA==`), and real S3 would then reject every non-empty upload as a
   * checksum mismatch (aws-sdk-js-v3#6994); s3rver checks no checksums, so only AWS would fail. Those
   * headers are dropped after the checksum middleware has added them.
   */
  async presignPut(
    key: string,
    expiresInSeconds: number,
    contentType?: string,
    contentLength?: number,
  ): Promise<string> {
    const command = new PutObjectCommand({
      Bucket: this.bucket,
      Key: key,
      ...(contentType ? { ContentType: contentType } : {}),
      ...(contentLength !== undefined ? { ContentLength: contentLength } : {}),
    });
    command.middlewareStack.add(
      (next) => async (args) => {
        const headers = (args.request as { headers?: Record<string, string> }).headers ?? {};
        for (const name of Object.keys(headers)) {
          if (name.startsWith('x-amz-checksum-') || name === 'x-amz-sdk-checksum-algorithm') {
            delete headers[name];
          }
        }
        return next(args);
      },
      { step: 'build', priority: 'low', name: 'attuneDropPresignChecksum' },
    );
    return getSignedUrl(this.s3, command, { expiresIn: expiresInSeconds });
  }
}

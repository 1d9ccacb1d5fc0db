import { mkdir } from 'node:fs/promises';
import type { S3Event, S3EventRecord } from 'aws-lambda';
import S3rver from 's3rver';
import type { RunningService } from '#local/dynamodb-local.ts';
import { freePort } from '#local/free-port.ts';

export interface LocalS3 extends RunningService {
  /** Subscribes to object-created events, delivered in the shape S3 notifications have in AWS. */
  onObjectCreated(listener: (event: S3Event) => void): void;
}

/** S3 URL-encodes keys in notifications (space as '+'); s3rver sends them raw, so they are encoded here. */
export function encodeS3EventKey(key: string): string {
  return encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+');
}

/**
 * Starts s3rver on loopback with `bucket` created, persisting under `dataDir`. Its object events are
 * rewritten into the real S3 notification shape so the same ingestion handler serves both worlds.
 */
export async function startS3Local(options: {
  dataDir: string;
  bucket: string;
  port?: number;
}): Promise<LocalS3> {
  await mkdir(options.dataDir, { recursive: true });
  const port = options.port ?? (await freePort());
  const server = new S3rver({
    address: '127.0.0.1',
    port,
    silent: true,
    directory: options.dataDir,
    vhostBuckets: false,
    configureBuckets: [{ name: options.bucket }],
  });
  await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    onObjectCreated(listener) {
      server.on('event', (event: S3Event) => {
        const records: S3EventRecord[] = event.Records.filter((r) =>
          r.eventName.startsWith('ObjectCreated:'),
        ).map((r) => ({
          ...r,
          s3: { ...r.s3, object: { ...r.s3.object, key: encodeS3EventKey(r.s3.object.key) } },
        }));
        if (records.length > 0) listener({ Records: records });
      });
    },
    stop: () => server.close(),
  };
}

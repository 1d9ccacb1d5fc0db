import { Hono } from 'hono';
import { z } from 'zod';
import { ValidationError } from '#core/errors.ts';
import {
  FILE_PURPOSES,
  type FileRecord,
  fileObjectKey,
  toOpenAIFile,
  validateFilename,
} from '#core/files.ts';
import { newId } from '#core/ids.ts';
import type { AppDeps, AppEnv } from '#http/context.ts';
import { readJsonBody } from '#http/json-body.ts';

/** S3's limit for a single PUT, which is what a presigned URL allows. */
export const MAX_PRESIGNED_UPLOAD_BYTES = 5 * 1024 ** 3;

/** OpenAI's `POST /v1/uploads` body; unknown fields are refused as OpenAI refuses them. */
const CreateUpload = z.strictObject({
  filename: z.string(),
  purpose: z.enum(FILE_PURPOSES),
  bytes: z.number().int().min(1).max(MAX_PRESIGNED_UPLOAD_BYTES),
  mime_type: z.string().regex(/^[\w.+-]+\/[\w.+-]+$/, 'expected a MIME type such as application/jsonl'),
});

/**
 * `POST /v1/uploads` in OpenAI's request shape, answered with a single presigned S3 PUT instead of
 * OpenAI's parts API: large datasets go straight to the bucket, never through the API's size-limited body.
 *
 * The file record is created here, in `uploaded`, before the URL is handed out, so that the object's
 * arrival finds a record to ingest against. The upload object's `id` is that file's id (there is no
 * separate upload resource to poll); `file` is the file as it stands; `upload_url` and
 * `upload_url_expires_at` are Attune's extension. The URL signs the declared `bytes` as Content-Length,
 * so S3 refuses a body of any other size.
 */
export function uploadRoutes(deps: AppDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.post('/uploads', async (c) => {
    const team = c.var.team;
    const body = await readJsonBody(c.req.raw, CreateUpload);
    let filename: string;
    try {
      filename = validateFilename(body.filename);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      throw new ValidationError(error.message, { param: 'filename', code: error.code, cause: error });
    }
    const id = newId('file');
    const now = Math.floor(Date.now() / 1000);
    const record: FileRecord = {
      team,
      id,
      filename,
      purpose: body.purpose,
      bytes: body.bytes,
      createdAt: now,
      status: 'uploaded',
      statusDetails: null,
      objectKey: fileObjectKey(team, id),
    };
    const ttl = deps.config.uploadUrlTtlSeconds;
    const uploadUrl = await deps.objects.presignPut(record.objectKey, ttl, undefined, body.bytes);
    await deps.files.create(record);
    const expiresAt = now + ttl;
    return c.json({
      id,
      object: 'upload' as const,
      bytes: body.bytes,
      created_at: now,
      filename,
      purpose: body.purpose,
      status: 'pending' as const,
      expires_at: expiresAt,
      file: toOpenAIFile(record),
      upload_url: uploadUrl,
      upload_url_expires_at: expiresAt,
    });
  });

  return routes;
}

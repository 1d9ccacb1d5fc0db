import { Hono } from 'hono';
import { z } from 'zod';
import { createPresignedUpload } from '#core/files/file-service.ts';
import { FILE_PURPOSES, toOpenAIFile } from '#core/files.ts';
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
 * The upload object's `id` is the file's id (there is no separate upload resource to poll); `file` is the
 * file as it stands; `upload_url` and `upload_url_expires_at` are Attune's extension.
 */
export function uploadRoutes(deps: AppDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.post('/uploads', async (c) => {
    const body = await readJsonBody(c.req.raw, CreateUpload);
    const upload = await createPresignedUpload(deps, c.var.team, body, deps.limits.uploadUrlTtlSeconds);
    const { record } = upload;
    return c.json({
      id: record.id,
      object: 'upload' as const,
      bytes: record.bytes,
      created_at: record.createdAt,
      filename: record.filename,
      purpose: record.purpose,
      status: 'pending' as const,
      expires_at: upload.expiresAt,
      file: toOpenAIFile(record),
      upload_url: upload.uploadUrl,
      upload_url_expires_at: upload.expiresAt,
    });
  });

  return routes;
}

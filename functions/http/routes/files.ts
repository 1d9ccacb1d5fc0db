import { Readable } from 'node:stream';
import type { ReadableStream as NodeWebReadableStream } from 'node:stream/web';
import { Hono } from 'hono';
import { z } from 'zod';
import type { FileRepository } from '#aws/file-repository.ts';
import { NotFoundError, ValidationError } from '#core/errors.ts';
import { type FileRecord, fileObjectKey, toOpenAIFile } from '#core/files.ts';
import { isWellFormedId, newId } from '#core/ids.ts';
import { type PageRequest, parsePageRequest, toListPage } from '#core/pagination.ts';
import type { AppDeps, AppEnv } from '#http/context.ts';
import { fileNotFound, requireFileId } from '#http/file-ids.ts';
import { readFileUploadForm } from '#http/file-upload-form.ts';

const ListQuery = z.object({
  limit: z.string().optional(),
  after: z.string().optional(),
  purpose: z.string().min(1).max(64).optional(),
});

/**
 * Stores an accepted upload: the record first, then the object. The object's arrival is what triggers
 * ingestion, and ingestion only claims a file whose record exists, so the record must be there before the
 * first byte lands; the other order would race the S3 event and could leave an object no record owns
 * (invisible to the team, never ingested, never deleted). If the object write fails the record is deleted
 * again, so a failed upload leaves nothing; only a crash between the two writes can leave a record in
 * `uploaded` without content, which the team sees, can delete, and whose content answers 404.
 */
async function storeFile(deps: AppDeps, team: string, record: FileRecord, content: Uint8Array) {
  await deps.files.create(record);
  try {
    await deps.objects.put(record.objectKey, content);
  } catch (error) {
    await deps.files.delete(team, record.id).catch((cleanup: unknown) => {
      deps.logger.error('could not delete the record of a failed upload', {
        fileId: record.id,
        error: cleanup,
      });
    });
    throw error;
  }
}

/**
 * A page of the team's files, newest first, optionally only one purpose. Filtering happens after the query,
 * so it reads further pages until it has `limit + 1` matches or runs out, keeping `has_more` truthful.
 */
async function listFiles(
  files: FileRepository,
  team: string,
  page: PageRequest,
  purpose: string | undefined,
): Promise<FileRecord[]> {
  if (purpose === undefined) return files.list(team, page.limit, page.after);
  const matched: FileRecord[] = [];
  let after = page.after;
  for (;;) {
    const batch = await files.list(team, page.limit, after);
    for (const record of batch) {
      if (record.purpose === purpose) matched.push(record);
      if (matched.length > page.limit) return matched;
    }
    const last = batch[batch.length - 1];
    if (batch.length <= page.limit || last === undefined) return matched;
    after = last.id;
  }
}

/**
 * Content up to this size is answered inline. A Lambda response is at most 6 MB and binary bodies travel
 * base64-encoded (4/3 larger), so anything bigger is answered with a redirect to a short-lived presigned S3
 * GET instead, the same way on every host so that clients see one behaviour (the `openai` client and
 * `curl -L` follow it; fetch drops the API key on the cross-origin hop, as S3 requires).
 */
export const MAX_INLINE_CONTENT_BYTES = 4 * 1024 * 1024;

/** Long enough to start a download, short enough that a leaked URL soon stops working. */
export const CONTENT_URL_TTL_SECONDS = 300;

/** `Content-Disposition` for a validated file name, in RFC 6266's UTF-8 form so any name survives. */
function attachment(filename: string): string {
  return `attachment; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

/** The `/v1/files` routes, OpenAI's Files API for the team `c.var.team` that auth resolved. */
export function fileRoutes(deps: AppDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.post('/files', async (c) => {
    const team = c.var.team;
    const form = await readFileUploadForm(c.req.raw, deps.config.maxUploadBytes);
    const id = newId('file');
    const record: FileRecord = {
      team,
      id,
      filename: form.filename,
      purpose: form.purpose,
      bytes: form.content.byteLength,
      createdAt: Math.floor(Date.now() / 1000),
      status: 'uploaded',
      statusDetails: null,
      objectKey: fileObjectKey(team, id),
    };
    await storeFile(deps, team, record, form.content);
    return c.json(toOpenAIFile(record), 200);
  });

  routes.get('/files', async (c) => {
    const query = ListQuery.parse(c.req.query());
    const page = parsePageRequest(query);
    if (page.after !== undefined && !isWellFormedId(page.after, 'file')) {
      throw new ValidationError(`Invalid value for 'after': '${page.after.slice(0, 80)}' is not a file id.`, {
        param: 'after',
        code: 'invalid_value',
      });
    }
    const records = await listFiles(deps.files, c.var.team, page, query.purpose);
    return c.json(toListPage(records.map(toOpenAIFile), page.limit));
  });

  routes.get('/files/:id', async (c) => {
    const id = requireFileId(c.req.param('id'));
    const record = await deps.files.get(c.var.team, id);
    if (!record) throw fileNotFound(id);
    return c.json(toOpenAIFile(record));
  });

  routes.get('/files/:id/content', async (c) => {
    const id = requireFileId(c.req.param('id'));
    const record = await deps.files.get(c.var.team, id);
    if (!record) throw fileNotFound(id);
    let object: Awaited<ReturnType<typeof deps.objects.stream>>;
    try {
      object = await deps.objects.stream(record.objectKey);
    } catch (error) {
      if ((error as Error).name !== 'NoSuchKey') throw error;
      throw new NotFoundError(`File ${id} has no content yet: its upload has not arrived.`, {
        param: 'id',
        cause: error,
      });
    }
    const disposition = attachment(record.filename);
    if (object.bytes > MAX_INLINE_CONTENT_BYTES) {
      object.body.destroy();
      const url = await deps.objects.presignGet(record.objectKey, CONTENT_URL_TTL_SECONDS, disposition);
      return c.redirect(url, 302);
    }
    const body = Readable.toWeb(
      object.body,
    ) as NodeWebReadableStream<Uint8Array> as ReadableStream<Uint8Array>;
    return new Response(body, {
      status: 200,
      headers: {
        'content-type': 'application/octet-stream',
        'content-length': String(object.bytes),
        'content-disposition': disposition,
      },
    });
  });

  routes.delete('/files/:id', async (c) => {
    const id = requireFileId(c.req.param('id'));
    const record = await deps.files.get(c.var.team, id);
    if (!record) throw fileNotFound(id);
    // Object first: if the record delete then fails, a retried DELETE still finds the record and finishes;
    // the other order could strand an object that no record points to.
    await deps.objects.delete(record.objectKey);
    await deps.files.delete(c.var.team, id);
    return c.json({ id, object: 'file' as const, deleted: true });
  });

  return routes;
}

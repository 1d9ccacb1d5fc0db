import { Hono } from 'hono';
import { z } from 'zod';
import { deleteFile, fileContent, getFile, listFiles, uploadFile } from '#core/files/file-service.ts';
import { toOpenAIFile } from '#core/files.ts';
import { toListPage } from '#core/pagination.ts';
import type { AppDeps, AppEnv } from '#http/context.ts';
import { fileDownload } from '#http/file-download.ts';
import { requireFileId } from '#http/file-ids.ts';
import { readFileUploadForm } from '#http/file-upload-form.ts';
import { pageOf } from '#http/query.ts';

const ListQuery = z.object({ purpose: z.string().min(1).max(64).optional() });

/** The `/v1/files` routes, OpenAI's Files API for the team `c.var.team` that auth resolved. */
export function fileRoutes(deps: AppDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  const service = {
    ...deps,
    onCleanupError: (error: unknown, fileId: string) =>
      deps.logger.error('could not delete the record of a failed upload', { fileId, error }),
  };

  routes.post('/files', async (c) => {
    const form = await readFileUploadForm(c.req.raw, deps.limits.maxUploadBytes);
    return c.json(toOpenAIFile(await uploadFile(service, c.var.team, form)), 200);
  });

  routes.get('/files', async (c) => {
    const page = pageOf(c.req.query(), 'file');
    const { purpose } = ListQuery.parse(c.req.query());
    const records = await listFiles(deps, c.var.team, page, purpose);
    return c.json(toListPage(records.map(toOpenAIFile), page.limit));
  });

  routes.get('/files/:id', async (c) =>
    c.json(toOpenAIFile(await getFile(deps, c.var.team, requireFileId(c.req.param('id'))))),
  );

  routes.get('/files/:id/content', async (c) =>
    fileDownload(await fileContent(deps, c.var.team, requireFileId(c.req.param('id')))),
  );

  routes.delete('/files/:id', async (c) => {
    const id = requireFileId(c.req.param('id'));
    await deleteFile(deps, c.var.team, id);
    return c.json({ id, object: 'file' as const, deleted: true });
  });

  return routes;
}

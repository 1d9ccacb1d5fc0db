import { Hono } from 'hono';
import { deleteModel, getModel, listModels } from '#core/models/model-service.ts';
import type { AppDeps, AppEnv } from '#http/context.ts';

/**
 * OpenAI's models API: the built-in base models for every team, and the team's own `ft:` and `pt:` models;
 * deleting one follows the rules of core/models/model-service.ts.
 */
export function modelRoutes(deps: AppDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.get('/models', async (c) => c.json({ object: 'list', data: await listModels(deps, c.var.team) }));

  routes.get('/models/:id', async (c) => c.json(await getModel(deps, c.var.team, c.req.param('id'))));

  routes.delete('/models/:id', async (c) => {
    const id = c.req.param('id');
    await deleteModel(deps, c.var.team, id);
    return c.json({ id, object: 'model' as const, deleted: true });
  });

  return routes;
}

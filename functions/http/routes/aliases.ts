import { Hono } from 'hono';
import { z } from 'zod';
import { deleteAlias, getAlias, putAlias } from '#core/inference/alias-service.ts';
import { aliasObject } from '#core/inference/aliases.ts';
import type { AppDeps, AppEnv } from '#http/context.ts';
import { readJsonBody } from '#http/json-body.ts';

/** `PUT /v1/aliases/{name}`: the whole set of variants, which replaces the previous one. */
const PutAliasBodySchema = z
  .object({
    variants: z.array(z.object({ model: z.string(), weight: z.number() }).strict()),
  })
  .strict();

/** A/B aliases of the team `c.var.team` (rules in core/inference/alias-service.ts). */
export function aliasRoutes(deps: AppDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.put('/aliases/:name', async (c) => {
    const { variants } = await readJsonBody(c.req.raw, PutAliasBodySchema);
    const { alias, created } = await putAlias(deps, c.var.team, c.req.param('name'), variants);
    return c.json(aliasObject(alias), created ? 201 : 200);
  });

  routes.get('/aliases', async (c) => {
    const aliases = await deps.aliases.list(c.var.team);
    return c.json({ object: 'list' as const, data: aliases.map(aliasObject) });
  });

  routes.get('/aliases/:name', async (c) =>
    c.json(aliasObject(await getAlias(deps, c.var.team, c.req.param('name')))),
  );

  routes.delete('/aliases/:name', async (c) => {
    const name = c.req.param('name');
    await deleteAlias(deps, c.var.team, name);
    return c.json({ id: name, object: 'alias' as const, deleted: true });
  });

  return routes;
}

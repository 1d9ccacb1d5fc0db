import { Hono } from 'hono';
import { z } from 'zod';
import { NotFoundError } from '#core/errors.ts';
import {
  aliasObject,
  checkVariantModelsExist,
  validateAliasName,
  validateAliasVariants,
} from '#core/inference/aliases.ts';
import type { ModelStore } from '#core/jobs/ports.ts';
import type { AppDeps, AppEnv } from '#http/context.ts';
import { readJsonBody } from '#http/json-body.ts';
import { defaultModelStore } from '#http/routes/models.ts';

/** `PUT /v1/aliases/{name}`: the whole set of variants, which replaces the previous one. */
const PutAliasBodySchema = z
  .object({
    variants: z.array(z.object({ model: z.string(), weight: z.number() }).strict()),
  })
  .strict();

function aliasNotFound(name: string): NotFoundError {
  return new NotFoundError(
    `The alias '${name.slice(0, 200)}' does not exist or you do not have access to it.`,
    { param: 'name', code: 'alias_not_found' },
  );
}

/**
 * A/B aliases of the team `c.var.team`. A PUT creates the alias or replaces its variants (setting a
 * variant's weight to 0 is the instant rollback); counters of variants that remain are kept. Another
 * team's alias is the same 404 as one that does not exist.
 */
export function aliasRoutes(
  deps: AppDeps,
  models: ModelStore = defaultModelStore(deps.config),
): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.put('/aliases/:name', async (c) => {
    const name = c.req.param('name');
    validateAliasName(name);
    const { variants } = await readJsonBody(c.req.raw, PutAliasBodySchema);
    validateAliasVariants(variants);
    await checkVariantModelsExist(models, c.var.team, variants);
    const now = Math.floor(Date.now() / 1000);
    const { alias, created } = await deps.aliases.put(c.var.team, name, variants, now);
    return c.json(aliasObject(alias), created ? 201 : 200);
  });

  routes.get('/aliases', async (c) => {
    const aliases = await deps.aliases.list(c.var.team);
    return c.json({ object: 'list' as const, data: aliases.map(aliasObject) });
  });

  routes.get('/aliases/:name', async (c) => {
    const name = c.req.param('name');
    const alias = await deps.aliases.get(c.var.team, name);
    if (!alias) throw aliasNotFound(name);
    return c.json(aliasObject(alias));
  });

  routes.delete('/aliases/:name', async (c) => {
    const name = c.req.param('name');
    if (!(await deps.aliases.delete(c.var.team, name))) throw aliasNotFound(name);
    return c.json({ id: name, object: 'alias' as const, deleted: true });
  });

  return routes;
}

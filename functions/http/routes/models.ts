import { Hono } from 'hono';
import { getClients } from '#aws/clients.ts';
import type { AttuneConfig } from '#aws/config.ts';
import { ModelRepository } from '#aws/model-repository.ts';
import { ConflictError, HttpError, NotFoundError } from '#core/errors.ts';
import { parseTunedModelName } from '#core/jobs/model-names.ts';
import {
  BASE_MODELS,
  baseModelObject,
  findBaseModel,
  type ModelRecord,
  tunedModelObject,
} from '#core/jobs/models.ts';
import type { ModelStore } from '#core/jobs/ports.ts';
import type { AppDeps, AppEnv } from '#http/context.ts';

export function defaultModelStore(config: AttuneConfig): ModelStore {
  return new ModelRepository(getClients(config).dynamo, config.tableName);
}

function modelNotFound(id: string): NotFoundError {
  return new NotFoundError(
    `The model '${id.slice(0, 200)}' does not exist or you do not have access to it.`,
    {
      param: 'model',
      code: 'model_not_found',
    },
  );
}

/** The team's tuned model of that name; another team's name is the same 404 as a name that does not exist. */
async function teamModel(models: ModelStore, team: string, id: string): Promise<ModelRecord> {
  const name = parseTunedModelName(id);
  const record = name?.team === team ? await models.get(team, id) : undefined;
  if (!record) throw modelNotFound(id);
  return record;
}

/**
 * OpenAI's models API: the built-in base models for every team, and the team's own `ft:` and `pt:` models.
 * Deleting a tuned model removes it from the API (its job still names it); its artifact stays in the
 * bucket under the job's prefix.
 */
export function modelRoutes(
  deps: AppDeps,
  models: ModelStore = defaultModelStore(deps.config),
): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.get('/models', async (c) => {
    const tuned = await models.list(c.var.team);
    return c.json({
      object: 'list',
      data: [...BASE_MODELS.map(baseModelObject), ...tuned.map(tunedModelObject)],
    });
  });

  routes.get('/models/:id', async (c) => {
    const id = c.req.param('id');
    const base = findBaseModel(id);
    if (base) return c.json(baseModelObject(base));
    return c.json(tunedModelObject(await teamModel(models, c.var.team, id)));
  });

  routes.delete('/models/:id', async (c) => {
    const id = c.req.param('id');
    if (findBaseModel(id)) {
      throw new HttpError(403, `The model '${id}' is a base model of Attune and cannot be deleted.`, {
        param: 'model',
        code: 'model_not_deletable',
      });
    }
    const record = await teamModel(models, c.var.team, id);
    const dependants = (await models.list(c.var.team)).filter((m) => m.attachesTo === record.id);
    if (dependants.length > 0) {
      throw new ConflictError(
        `The model '${id}' has tuned prompts attached to it (${dependants.map((m) => m.id).join(', ')}); delete them first.`,
        { param: 'model', code: 'model_in_use' },
      );
    }
    await models.delete(c.var.team, id);
    return c.json({ id, object: 'model' as const, deleted: true });
  });

  return routes;
}

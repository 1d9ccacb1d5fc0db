import { Hono } from 'hono';
import { getClients } from '#aws/clients.ts';
import type { AttuneConfig } from '#aws/config.ts';
import { JobRepository } from '#aws/job-repository.ts';
import { ModelRepository } from '#aws/model-repository.ts';
import { ConflictError, HttpError, NotFoundError } from '#core/errors.ts';
import type { AliasStore } from '#core/inference/aliases.ts';
import { parseTunedModelName } from '#core/jobs/model-names.ts';
import {
  BASE_MODELS,
  baseModelObject,
  findBaseModel,
  type ModelRecord,
  tunedModelObject,
} from '#core/jobs/models.ts';
import type { JobStore, ModelStore } from '#core/jobs/ports.ts';
import type { AppDeps, AppEnv } from '#http/context.ts';

export function defaultModelStore(config: AttuneConfig): ModelStore {
  return new ModelRepository(getClients(config).dynamo, config.tableName);
}

/** What DELETE also reads: the unfinished jobs, so a model a job is training over is not pulled from under it. */
export function defaultModelJobs(config: AttuneConfig): Pick<JobStore, 'listActive'> {
  return new JobRepository(getClients(config).dynamo, config.tableName);
}

/**
 * Why a tuned model cannot be deleted yet: the team's `pt:` prompts that attach to it (inference would
 * lose their model), its unfinished jobs that tune it (the trainer reads it when it starts or resumes),
 * and the team's aliases with it as a variant (requests routed to it would start failing; a weight of 0
 * counts too, since it is one PUT away from taking traffic). Attune refuses rather than cascades: deleting
 * a team's prompts or rewriting its aliases as a side effect would lose work it did not ask to lose, and
 * the 409 names every dependant so it can deal with them first.
 */
async function dependantsOf(
  models: ModelStore,
  jobs: Pick<JobStore, 'listActive'>,
  aliases: Pick<AliasStore, 'list'>,
  record: ModelRecord,
): Promise<string | null> {
  const prompts = (await models.list(record.team)).filter((m) => m.attachesTo === record.id);
  const training = (await jobs.listActive()).filter((j) => j.team === record.team && j.model === record.id);
  const routing = (await aliases.list(record.team)).filter((a) =>
    a.variants.some((v) => v.model === record.id),
  );
  const parts = [
    ...(prompts.length > 0 ? [`tuned prompts attached to it (${prompts.map((m) => m.id).join(', ')})`] : []),
    ...(training.length > 0 ? [`unfinished jobs tuning it (${training.map((j) => j.id).join(', ')})`] : []),
    ...(routing.length > 0 ? [`aliases routing to it (${routing.map((a) => a.name).join(', ')})`] : []),
  ];
  return parts.length > 0 ? parts.join(' and ') : null;
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
 * Deleting a tuned model deletes its artifact (every object under its prefix in the bucket), then its
 * record; its job still names it. The objects go first, so a failure part-way leaves the record to retry
 * the delete with, never an artifact nothing points at.
 */
export function modelRoutes(
  deps: AppDeps,
  models: ModelStore = defaultModelStore(deps.config),
  jobs: Pick<JobStore, 'listActive'> = defaultModelJobs(deps.config),
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
    const dependants = await dependantsOf(models, jobs, deps.aliases, record);
    if (dependants) {
      throw new ConflictError(`The model '${id}' has ${dependants}; delete or finish them first.`, {
        param: 'model',
        code: 'model_in_use',
      });
    }
    await deps.objects.deletePrefix(record.artifactPrefix);
    await models.delete(c.var.team, id);
    return c.json({ id, object: 'model' as const, deleted: true });
  });

  return routes;
}

import { ConflictError, HttpError, NotFoundError } from '#core/errors.ts';
import type { ObjectStorage } from '#core/files/ports.ts';
import type { AliasStore } from '#core/inference/aliases.ts';
import { parseTunedModelName } from '#core/jobs/model-names.ts';
import {
  BASE_MODELS,
  baseModelObject,
  findBaseModel,
  type ModelRecord,
  type OpenAIModel,
  tunedModelObject,
} from '#core/jobs/models.ts';
import type { JobStore, ModelStore } from '#core/jobs/ports.ts';

/**
 * OpenAI's models API without HTTP: the built-in base models for every team, the team's own `ft:` and
 * `pt:` models, and the rule for when a tuned model may be deleted.
 */

export interface ModelServiceDeps {
  readonly models: ModelStore;
  /** The unfinished jobs, so a model a job is training over is not pulled from under it. */
  readonly jobs: Pick<JobStore, 'listActive'>;
  readonly aliases: Pick<AliasStore, 'list'>;
  readonly objects: Pick<ObjectStorage, 'deletePrefix'>;
}

export function modelNotFound(id: string): NotFoundError {
  return new NotFoundError(
    `The model '${id.slice(0, 200)}' does not exist or you do not have access to it.`,
    { param: 'model', code: 'model_not_found' },
  );
}

/** The team's tuned model of that name; another team's name is the same 404 as a name that does not exist. */
async function teamModel(models: ModelStore, team: string, id: string): Promise<ModelRecord> {
  const name = parseTunedModelName(id);
  const record = name?.team === team ? await models.get(team, id) : undefined;
  if (!record) throw modelNotFound(id);
  return record;
}

/** The base models, then the team's tuned ones, newest first. */
export async function listModels(
  deps: Pick<ModelServiceDeps, 'models'>,
  team: string,
): Promise<OpenAIModel[]> {
  const tuned = await deps.models.list(team);
  return [...BASE_MODELS.map(baseModelObject), ...tuned.map(tunedModelObject)];
}

export async function getModel(
  deps: Pick<ModelServiceDeps, 'models'>,
  team: string,
  id: string,
): Promise<OpenAIModel> {
  const base = findBaseModel(id);
  if (base) return baseModelObject(base);
  return tunedModelObject(await teamModel(deps.models, team, id));
}

/**
 * Why a tuned model cannot be deleted yet: the team's `pt:` prompts that attach to it (inference would
 * lose their model), its unfinished jobs that tune it (the trainer reads it when it starts or resumes),
 * and the team's aliases with it as a variant (requests routed to it would start failing; a weight of 0
 * counts too, since it is one PUT away from taking traffic). Attune refuses rather than cascades: deleting
 * a team's prompts or rewriting its aliases as a side effect would lose work it did not ask to lose, and
 * the 409 names every dependant so it can deal with them first.
 */
export async function dependantsOf(deps: ModelServiceDeps, record: ModelRecord): Promise<string | null> {
  const prompts = (await deps.models.list(record.team)).filter((m) => m.attachesTo === record.id);
  const training = (await deps.jobs.listActive()).filter(
    (j) => j.team === record.team && j.model === record.id,
  );
  const routing = (await deps.aliases.list(record.team)).filter((a) =>
    a.variants.some((v) => v.model === record.id),
  );
  const parts = [
    ...(prompts.length > 0 ? [`tuned prompts attached to it (${prompts.map((m) => m.id).join(', ')})`] : []),
    ...(training.length > 0 ? [`unfinished jobs tuning it (${training.map((j) => j.id).join(', ')})`] : []),
    ...(routing.length > 0 ? [`aliases routing to it (${routing.map((a) => a.name).join(', ')})`] : []),
  ];
  return parts.length > 0 ? parts.join(' and ') : null;
}

/**
 * Deletes the team's tuned model: its artifact (every object under its prefix in the bucket), then its
 * record; its job still names it. The objects go first, so a failure part-way leaves the record to retry
 * the delete with, never an artifact nothing points at. A base model is a 403; a model others depend on, 409.
 */
export async function deleteModel(deps: ModelServiceDeps, team: string, id: string): Promise<void> {
  if (findBaseModel(id)) {
    throw new HttpError(403, `The model '${id}' is a base model of Attune and cannot be deleted.`, {
      param: 'model',
      code: 'model_not_deletable',
    });
  }
  const record = await teamModel(deps.models, team, id);
  const dependants = await dependantsOf(deps, record);
  if (dependants) {
    throw new ConflictError(`The model '${id}' has ${dependants}; delete or finish them first.`, {
      param: 'model',
      code: 'model_in_use',
    });
  }
  await deps.objects.deletePrefix(record.artifactPrefix);
  await deps.models.delete(team, id);
}

import { NotFoundError, ValidationError } from '#core/errors.ts';
import type { JobMethodType } from '#core/jobs/job.ts';
import { parseTunedModelName } from '#core/jobs/model-names.ts';
import { findBaseModel } from '#core/jobs/models.ts';
import type { ModelStore } from '#core/jobs/ports.ts';

/** The model a job tunes and the base model at its root. */
export interface ResolvedJobModel {
  readonly model: string;
  readonly baseModel: string;
}

function modelNotFound(model: string): NotFoundError {
  return new NotFoundError(
    `The model '${model.slice(0, 200)}' does not exist or you do not have access to it.`,
    {
      param: 'model',
      code: 'model_not_found',
    },
  );
}

/**
 * A job may tune a base model (either method), or prompt-tune over one of the team's own `ft:` models
 * (the hybrid path). Another team's model is a 404 exactly like one that does not exist.
 */
export async function resolveJobModel(
  models: ModelStore,
  team: string,
  model: string,
  method: JobMethodType,
): Promise<ResolvedJobModel> {
  const base = findBaseModel(model);
  if (base) return { model, baseModel: base.id };
  const name = parseTunedModelName(model);
  if (!name || name.team !== team) throw modelNotFound(model);
  const record = await models.get(team, model);
  if (!record) throw modelNotFound(model);
  if (record.kind === 'pt') {
    throw new ValidationError(
      `The model '${model}' is a tuned prompt; tune its base model '${record.attachesTo ?? record.baseModel}' instead.`,
      { param: 'model', code: 'model_not_tunable' },
    );
  }
  if (method !== 'prompt_tuning') {
    throw new ValidationError(
      `The model '${model}' is a fine-tuned model: it can be prompt-tuned (method.type "prompt_tuning", the hybrid path), not fine-tuned again.`,
      { param: 'model', code: 'model_not_tunable' },
    );
  }
  return { model, baseModel: record.baseModel };
}

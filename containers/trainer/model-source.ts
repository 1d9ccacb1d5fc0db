import path from 'node:path';
import { NotFoundError, ValidationError } from '#core/errors.ts';
import type { JobRecord } from '#core/jobs/job.ts';
import { parseTunedModelName } from '#core/jobs/model-names.ts';
import { findBaseModel } from '#core/jobs/models.ts';
import type { ModelStore } from '#core/jobs/ports.ts';

/**
 * Where the model a job tunes comes from: a built-in base model ships inside the image (models/), a
 * team's `ft:` model (hybrid: a prompt tuned over a fine-tuned model) is a directory in the bucket.
 */
export type ModelSource =
  | { readonly kind: 'local'; readonly dir: string }
  | { readonly kind: 'bucket'; readonly prefix: string };

/** Resolves `job.model`; an unknown base model or a missing/foreign `ft:` model is an error, not a guess. */
export async function resolveModelSource(
  job: Pick<JobRecord, 'team' | 'model'>,
  models: Pick<ModelStore, 'get'>,
  baseModelsRoot: string,
): Promise<ModelSource> {
  const base = findBaseModel(job.model);
  if (base) return { kind: 'local', dir: path.resolve(baseModelsRoot, base.directory) };
  const tuned = parseTunedModelName(job.model);
  if (!tuned) throw new ValidationError(`unknown model '${job.model}'`, { param: 'model' });
  if (tuned.kind !== 'ft') {
    throw new ValidationError(`a tuned prompt ('${job.model}') cannot be trained further as a model`, {
      param: 'model',
    });
  }
  const record = await models.get(job.team, job.model);
  if (!record) throw new NotFoundError(`model '${job.model}' does not exist for team ${job.team}`);
  return { kind: 'bucket', prefix: record.artifactPrefix };
}

import type { TunedModelKind } from '#core/jobs/model-names.ts';

/**
 * The models a team can name: the built-in base models every team sees, and the team's own `ft:` models
 * (a full model directory) and `pt:` models (a PEFT prompt plus the model it attaches to), registered
 * when their jobs succeed.
 */

export interface BaseModel {
  readonly id: string;
  /** Unix seconds of the release of this model, as OpenAI's `created`. */
  readonly created: number;
  /** Where its directory lives in the repository (and, deployed, under `base-models/<id>/` in the bucket). */
  readonly directory: string;
}

/** The base models Attune ships (models/). Fixed at build time, so listing them needs no I/O. */
export const BASE_MODELS: readonly BaseModel[] = [
  { id: 'attune-tiny', created: 1_795_910_400, directory: 'models/attune-tiny' },
];

export function findBaseModel(id: string): BaseModel | undefined {
  return BASE_MODELS.find((m) => m.id === id);
}

/** A team's tuned model: the artifact a succeeded job left under `artifactPrefix` in the bucket. */
export interface ModelRecord {
  readonly team: string;
  /** The `ft:`/`pt:` name, which is also what inference requests name. */
  readonly id: string;
  readonly kind: TunedModelKind;
  readonly baseModel: string;
  /** The model a `pt:` prompt is prepended to: a base model, or an `ft:` model for hybrid; null for `ft:`. */
  readonly attachesTo: string | null;
  readonly jobId: string;
  readonly createdAt: number;
  readonly artifactPrefix: string;
}

/** OpenAI's model object, plus what Attune knows about where a tuned model comes from. */
export interface OpenAIModel {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
  kind: 'base' | 'fine_tuned' | 'tuned_prompt';
  base_model: string | null;
  attaches_to: string | null;
  fine_tuning_job: string | null;
}

export function baseModelObject(model: BaseModel): OpenAIModel {
  return {
    id: model.id,
    object: 'model',
    created: model.created,
    owned_by: 'attune',
    kind: 'base',
    base_model: null,
    attaches_to: null,
    fine_tuning_job: null,
  };
}

export function tunedModelObject(record: ModelRecord): OpenAIModel {
  return {
    id: record.id,
    object: 'model',
    created: record.createdAt,
    owned_by: record.team,
    kind: record.kind === 'ft' ? 'fine_tuned' : 'tuned_prompt',
    base_model: record.baseModel,
    attaches_to: record.attachesTo,
    fine_tuning_job: record.jobId,
  };
}

/** Where a job's trainer writes its final artifact; the status handler registers the model from here. */
export function modelArtifactPrefix(team: string, jobId: string): string {
  return `teams/${team}/models/${jobId}/`;
}

/** Where a job's trainer writes its checkpoints (resumed from on a retry). */
export function checkpointPrefix(team: string, jobId: string): string {
  return `teams/${team}/checkpoints/${jobId}/`;
}

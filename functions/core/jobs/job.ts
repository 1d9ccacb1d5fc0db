import type { CalibrationBucket } from '#core/estimate/throughput.ts';
import type { Hyperparameters } from '#core/hyperparameters.ts';
import type { JobStatus } from '#core/jobs/job-status.ts';

/**
 * The fine-tuning job as Attune stores it, and as OpenAI's clients see it (`fine_tuning.job`). The record
 * keeps what the API was asked for, what it was accepted under (the estimate) and where it runs (the
 * Batch job), so the trainer needs nothing but the job id to do its work.
 */

export type JobMethodType = 'supervised' | 'prompt_tuning';

export interface JobMethod {
  readonly type: JobMethodType;
  readonly hyperparameters: Hyperparameters;
}

/** OpenAI's job error: `param` names the request field at fault, when one is. */
export interface JobError {
  readonly code: string;
  readonly message: string;
  readonly param: string | null;
}

export type QueueKind = 'gpu' | 'cpu';

/** The figures of the estimate a job was accepted under (the run of its own method). */
export interface JobEstimate {
  readonly method: JobMethodType;
  readonly trainable_parameters: number;
  readonly training_tokens: number;
  readonly flops: number;
  readonly memory_bytes: number;
  readonly instance_type: string;
  readonly wall_clock_hours: number;
  readonly cost_usd: { readonly on_demand: number; readonly spot: number };
  readonly throughput_source: string;
  readonly prices_as_of: string;
  /** The instance's on-demand price the estimate used: what the actual cost is billed at. */
  readonly on_demand_usd_per_hour?: number;
  /** Where the run's measured throughput is recorded (null for a plan Attune's trainer cannot run). */
  readonly calibration_bucket?: CalibrationBucket | null;
  /**
   * In the embedded stack: the predicted wall time of the run on this machine (the estimate's `local_run`),
   * to set beside the job's `actual_wall_seconds`; null elsewhere.
   */
  readonly local_wall_clock_seconds?: number | null;
}

/**
 * What the trainer measured in the attempt that finished the job: data tokens per second of its training
 * steps (validation, loading and uploading excluded, as the estimator's compute time excludes them), the
 * seconds those steps took, and the TF.js backend they ran on (`wasm`, `tensorflow`).
 */
export interface MeasuredRun {
  readonly tokensPerSecond: number;
  readonly trainingSeconds: number;
  readonly backend: string;
}

/**
 * What a finished job cost: the wall time its run attempts occupied an instance (AWS Batch's attempts, or
 * the local runner's measured the same way), billed at the on-demand price of the instance its estimate
 * chose. Recorded once, when the job reaches a terminal status.
 */
export interface ActualCost {
  readonly wall_seconds: number;
  readonly usd_per_hour: number;
  readonly cost_usd: number;
  /** Attempts that ran (more than one after a lost host); absent on records older than this field. */
  readonly attempts?: number;
}

export interface JobRecord {
  readonly team: string;
  readonly id: string;
  /** Unix seconds. */
  readonly createdAt: number;
  /** The model the job was asked to tune: a base model, or an `ft:` model for a hybrid prompt tune. */
  readonly model: string;
  /** The base model at the root of `model`. */
  readonly baseModel: string;
  readonly method: JobMethod;
  readonly trainingFile: string;
  readonly validationFile: string | null;
  readonly suffix: string | null;
  readonly seed: number;
  readonly metadata: Readonly<Record<string, string>> | null;
  /** The name the tuned model gets; shown as `fine_tuned_model` only once the job succeeds. */
  readonly outputModel: string;
  readonly status: JobStatus;
  readonly error: JobError | null;
  readonly finishedAt: number | null;
  readonly trainedTokens: number | null;
  readonly estimatedFinish: number | null;
  readonly estimate: JobEstimate | null;
  readonly batchJobId: string | null;
  readonly queue: QueueKind | null;
  /** Why the job runs on that queue (a prompt tune sent to a GPU says why). */
  readonly queueReason: string | null;
  /** Set by the trainer when it succeeds; absent before (and on records older than this field). */
  readonly measuredRun?: MeasuredRun | null;
  /** Set once the job is finished and its run time is known. */
  readonly actualCost?: ActualCost | null;
}

/**
 * OpenAI's `fine_tuning.job`, plus Attune's `estimate` (the cost it was accepted under), `actual_cost_usd`
 * and `actual_wall_seconds` (once finished: the run's wall time billed at the estimate's instance price),
 * `measured_throughput` (once succeeded), `batch_job_id` and `queue`.
 */
export interface OpenAIJob {
  id: string;
  object: 'fine_tuning.job';
  created_at: number;
  error: JobError | null;
  fine_tuned_model: string | null;
  finished_at: number | null;
  hyperparameters: Hyperparameters;
  model: string;
  organization_id: string;
  result_files: string[];
  seed: number;
  status: JobStatus;
  trained_tokens: number | null;
  training_file: string;
  validation_file: string | null;
  estimated_finish: number | null;
  integrations: null;
  metadata: Record<string, string> | null;
  user_provided_suffix: string | null;
  method:
    | { type: 'supervised'; supervised: { hyperparameters: Hyperparameters } }
    | { type: 'prompt_tuning'; prompt_tuning: { hyperparameters: Hyperparameters } };
  estimate: JobEstimate | null;
  actual_cost_usd: number | null;
  actual_wall_seconds: number | null;
  measured_throughput: { tokens_per_second: number; training_seconds: number; backend: string } | null;
  batch_job_id: string | null;
  queue: { kind: QueueKind; reason: string | null } | null;
}

function openAIMethod(method: JobMethod): OpenAIJob['method'] {
  return method.type === 'supervised'
    ? { type: 'supervised', supervised: { hyperparameters: method.hyperparameters } }
    : { type: 'prompt_tuning', prompt_tuning: { hyperparameters: method.hyperparameters } };
}

export function toOpenAIJob(job: JobRecord): OpenAIJob {
  return {
    id: job.id,
    object: 'fine_tuning.job',
    created_at: job.createdAt,
    error: job.error,
    fine_tuned_model: job.status === 'succeeded' ? job.outputModel : null,
    finished_at: job.finishedAt,
    hyperparameters: job.method.hyperparameters,
    model: job.model,
    organization_id: job.team,
    result_files: [],
    seed: job.seed,
    status: job.status,
    trained_tokens: job.trainedTokens,
    training_file: job.trainingFile,
    validation_file: job.validationFile,
    estimated_finish: job.estimatedFinish,
    integrations: null,
    metadata: job.metadata ? { ...job.metadata } : null,
    user_provided_suffix: job.suffix,
    method: openAIMethod(job.method),
    estimate: job.estimate,
    actual_cost_usd: job.actualCost?.cost_usd ?? null,
    actual_wall_seconds: job.actualCost?.wall_seconds ?? null,
    measured_throughput: job.measuredRun
      ? {
          tokens_per_second: job.measuredRun.tokensPerSecond,
          training_seconds: job.measuredRun.trainingSeconds,
          backend: job.measuredRun.backend,
        }
      : null,
    batch_job_id: job.batchJobId,
    queue: job.queue ? { kind: job.queue, reason: job.queueReason } : null,
  };
}

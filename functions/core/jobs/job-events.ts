/**
 * What a job tells its team while it runs: events (`fine_tuning.job.event`, a log line or a metrics
 * sample) and checkpoints (`fine_tuning.job.checkpoint`). The trainer and the status handler write them;
 * the API lists them newest first, as OpenAI does.
 */

export type JobEventLevel = 'info' | 'warn' | 'error';
export type JobEventType = 'message' | 'metrics';

export interface JobEventRecord {
  readonly id: string;
  readonly jobId: string;
  /** Unix seconds. */
  readonly createdAt: number;
  readonly level: JobEventLevel;
  readonly message: string;
  readonly type: JobEventType;
  /** Metrics (`step`, `train_loss`, `valid_loss`, `tokens_per_second`, …) or details of a message. */
  readonly data: Readonly<Record<string, unknown>> | null;
}

export interface OpenAIJobEvent {
  id: string;
  object: 'fine_tuning.job.event';
  created_at: number;
  level: JobEventLevel;
  message: string;
  type: JobEventType;
  data: Record<string, unknown> | null;
}

export function toOpenAIJobEvent(event: JobEventRecord): OpenAIJobEvent {
  return {
    id: event.id,
    object: 'fine_tuning.job.event',
    created_at: event.createdAt,
    level: event.level,
    message: event.message,
    type: event.type,
    data: event.data ? { ...event.data } : null,
  };
}

export interface CheckpointMetrics {
  readonly step: number;
  readonly train_loss?: number;
  readonly valid_loss?: number;
  readonly train_mean_token_accuracy?: number;
  readonly valid_mean_token_accuracy?: number;
}

export interface CheckpointRecord {
  readonly id: string;
  readonly jobId: string;
  readonly createdAt: number;
  readonly stepNumber: number;
  readonly metrics: CheckpointMetrics;
  /** Where the checkpoint's files are in the bucket (what a retried trainer resumes from). */
  readonly objectPrefix: string;
}

export interface OpenAIJobCheckpoint {
  id: string;
  object: 'fine_tuning.job.checkpoint';
  created_at: number;
  fine_tuned_model_checkpoint: string;
  fine_tuning_job_id: string;
  metrics: CheckpointMetrics;
  step_number: number;
}

/** `outputModel` is the job's model name; a checkpoint is named after it with `:ckpt-step-<n>`, as OpenAI does. */
export function toOpenAICheckpoint(checkpoint: CheckpointRecord, outputModel: string): OpenAIJobCheckpoint {
  return {
    id: checkpoint.id,
    object: 'fine_tuning.job.checkpoint',
    created_at: checkpoint.createdAt,
    fine_tuned_model_checkpoint: `${outputModel}:ckpt-step-${checkpoint.stepNumber}`,
    fine_tuning_job_id: checkpoint.jobId,
    metrics: { ...checkpoint.metrics },
    step_number: checkpoint.stepNumber,
  };
}

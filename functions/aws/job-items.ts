import { z } from 'zod';
import { calibrationBucketSchema } from '#aws/calibration-repository.ts';
import { schemaOf } from '#aws/item-schema.ts';
import { PROMPT_TUNING_INITS } from '#core/hyperparameters.ts';
import type { ActualCost, JobError, JobEstimate, JobMethod, JobRecord, MeasuredRun } from '#core/jobs/job.ts';
import type { CheckpointMetrics, CheckpointRecord, JobEventRecord } from '#core/jobs/job-events.ts';
import { JOB_STATUSES } from '#core/jobs/job-status.ts';

/**
 * The schemas of the items {@link JobRepository} keeps in a team's partition: jobs, their events and
 * checkpoints, and Idempotency-Key claims. They check the shape the repository writes, not the API's
 * bounds (a hyper-parameter limit tightened later must not make a stored job unreadable).
 */

const methodType = z.enum(['supervised', 'prompt_tuning']);
const autoOrNumber = z.union([z.literal('auto'), z.number()]);

const hyperparametersSchema = schemaOf<JobMethod['hyperparameters']>()(
  z.object({
    n_epochs: autoOrNumber,
    batch_size: autoOrNumber,
    learning_rate_multiplier: autoOrNumber,
    num_virtual_tokens: z.number().optional(),
    prompt_tuning_init: z.enum(PROMPT_TUNING_INITS).optional(),
    prompt_tuning_init_text: z.string().optional(),
  }),
);

const methodSchema = schemaOf<JobMethod>()(
  z.object({ type: methodType, hyperparameters: hyperparametersSchema }),
);

const jobErrorSchema = schemaOf<JobError>()(
  z.object({ code: z.string(), message: z.string(), param: z.string().nullable() }),
);

/** The fields {@link JobEstimate} marks optional may be absent from a stored job's estimate. */
const jobEstimateSchema = schemaOf<JobEstimate>()(
  z.object({
    method: methodType,
    trainable_parameters: z.number(),
    training_tokens: z.number(),
    flops: z.number(),
    memory_bytes: z.number(),
    instance_type: z.string(),
    wall_clock_hours: z.number(),
    cost_usd: z.object({ on_demand: z.number(), spot: z.number() }),
    throughput_source: z.string(),
    prices_as_of: z.string(),
    on_demand_usd_per_hour: z.number().optional(),
    calibration_bucket: calibrationBucketSchema.nullable().optional(),
    local_wall_clock_seconds: z.number().nullable().optional(),
  }),
);

const measuredRunSchema = schemaOf<MeasuredRun>()(
  z.object({ tokensPerSecond: z.number(), trainingSeconds: z.number(), backend: z.string() }),
);

const actualCostSchema = schemaOf<ActualCost>()(
  z.object({
    wall_seconds: z.number(),
    usd_per_hour: z.number(),
    cost_usd: z.number(),
    attempts: z.number().optional(),
  }),
);

/**
 * A job item. `batchJobId` is absent (not null) until the job is dispatched, so that a transition can set
 * it with `if_not_exists`; the record shows that absence as null. `rank` and the active-jobs index keys
 * are the table's, not the record's.
 */
export const jobRecordSchema = schemaOf<JobRecord>()(
  z.object({
    team: z.string(),
    id: z.string(),
    createdAt: z.number(),
    model: z.string(),
    baseModel: z.string(),
    method: methodSchema,
    trainingFile: z.string(),
    validationFile: z.string().nullable(),
    suffix: z.string().nullable(),
    seed: z.number(),
    metadata: z.record(z.string(), z.string()).nullable(),
    outputModel: z.string(),
    status: z.enum(JOB_STATUSES),
    error: jobErrorSchema.nullable(),
    finishedAt: z.number().nullable(),
    trainedTokens: z.number().nullable(),
    estimatedFinish: z.number().nullable(),
    estimate: jobEstimateSchema.nullable(),
    batchJobId: z.string().nullable().default(null),
    queue: z.enum(['gpu', 'cpu']).nullable(),
    queueReason: z.string().nullable(),
    measuredRun: measuredRunSchema.nullable().optional(),
    actualCost: actualCostSchema.nullable().optional(),
  }),
);

export const jobEventSchema = schemaOf<JobEventRecord>()(
  z.object({
    id: z.string(),
    jobId: z.string(),
    createdAt: z.number(),
    level: z.enum(['info', 'warn', 'error']),
    message: z.string(),
    type: z.enum(['message', 'metrics']),
    data: z.record(z.string(), z.unknown()).nullable(),
  }),
);

const checkpointMetricsSchema = schemaOf<CheckpointMetrics>()(
  z.object({
    step: z.number(),
    train_loss: z.number().optional(),
    valid_loss: z.number().optional(),
    train_mean_token_accuracy: z.number().optional(),
    valid_mean_token_accuracy: z.number().optional(),
  }),
);

export const checkpointSchema = schemaOf<CheckpointRecord>()(
  z.object({
    id: z.string(),
    jobId: z.string(),
    createdAt: z.number(),
    stepNumber: z.number(),
    metrics: checkpointMetricsSchema,
    objectPrefix: z.string(),
  }),
);

/** An Idempotency-Key claim: the job it created and the fingerprint of the request that created it. */
export const idempotencyClaimSchema = z.object({
  jobId: z.string(),
  fingerprint: z.string(),
  expiresAt: z.number(),
});

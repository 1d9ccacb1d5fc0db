import type { JobEstimate, JobRecord } from '#core/jobs/job.ts';
import {
  BATCH_STATE_CHANGE,
  type BatchJobStateDetail,
  type BatchStateChangeEvent,
} from '#events/batch-status-event.ts';

/** A job record as `createJob` would store it, for tests; override what the test is about. */
export function jobRecord(overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    team: 'sales',
    id: 'ftjob-01jab000000000000000000000',
    createdAt: 1_795_900_000,
    model: 'attune-tiny',
    baseModel: 'attune-tiny',
    method: {
      type: 'prompt_tuning',
      hyperparameters: {
        n_epochs: 'auto',
        batch_size: 4,
        learning_rate_multiplier: 'auto',
        num_virtual_tokens: 20,
        prompt_tuning_init: 'SAMPLE_VOCAB',
      },
    },
    trainingFile: 'file-01jab000000000000000000000',
    validationFile: null,
    suffix: 'faq',
    seed: 42,
    metadata: { project: 'faq' },
    outputModel: 'pt:attune-tiny:sales:faq:01jab000000000000000000000',
    status: 'queued',
    error: null,
    finishedAt: null,
    trainedTokens: null,
    estimatedFinish: 1_795_900_600,
    estimate: null,
    batchJobId: 'batch-1',
    queue: 'cpu',
    queueReason: 'fits a small instance',
    ...overrides,
  };
}

/** The calibration bucket of {@link jobEstimate}: a small prompt tune on a CPU instance. */
export const CALIBRATION_BUCKET = {
  instanceType: 'c7i.large',
  backend: 'tfjs-node',
  method: 'prompt_tuning',
  modelSize: '<10M',
} as const;

/** The estimate a job is accepted under ($0.50 on demand at $2 an hour), for tests; override what matters. */
export function jobEstimate(overrides: Partial<JobEstimate> = {}): JobEstimate {
  return {
    method: 'prompt_tuning',
    trainable_parameters: 2560,
    training_tokens: 8000,
    flops: 8000 * 4e6,
    memory_bytes: 1e8,
    instance_type: 'c7i.large',
    wall_clock_hours: 0.05,
    cost_usd: { on_demand: 0.5, spot: 0.2 },
    throughput_source: 'datasheet × assumed utilisation',
    prices_as_of: '2026-11-01',
    on_demand_usd_per_hour: 2,
    calibration_bucket: CALIBRATION_BUCKET,
    ...overrides,
  };
}

/** An EventBridge "Batch Job State Change" event, as AWS Batch sends it, for an Attune job. */
export function batchEvent(
  detail: Partial<BatchJobStateDetail>,
  team = 'sales',
  jobId = 'ftjob-01jab000000000000000000000',
): BatchStateChangeEvent {
  return {
    version: '0',
    id: 'e-1',
    'detail-type': BATCH_STATE_CHANGE,
    source: 'aws.batch',
    account: '123456789012',
    time: '2026-11-29T08:00:00Z',
    region: 'us-east-1',
    resources: ['arn:aws:batch:us-east-1:123456789012:job/batch-1'],
    detail: {
      jobId: 'batch-1',
      status: 'RUNNING',
      tags: { 'attune:team': team, 'attune:job': jobId },
      ...detail,
    },
  };
}

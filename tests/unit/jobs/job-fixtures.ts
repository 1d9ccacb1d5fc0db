import type { JobRecord } from '#core/jobs/job.ts';

/** A job record as `createJob` would store it, for tests; override what the test is about. */
export function jobRecord(overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    team: 'sales',
    id: 'ftjob-01jab0000000000000000000000',
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
    trainingFile: 'file-01jab0000000000000000000000',
    validationFile: null,
    suffix: 'faq',
    seed: 42,
    metadata: { project: 'faq' },
    outputModel: 'pt:attune-tiny:sales:faq:01jab0000000000000000000000',
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

import { describe, expect, it } from 'vitest';
import { isWellFormedId } from '#core/ids.ts';
import { toOpenAIJob } from '#core/jobs/job.ts';
import { toOpenAICheckpoint, toOpenAIJobEvent } from '#core/jobs/job-events.ts';
import { newEventId } from '#core/jobs/job-lifecycle.ts';
import { jobRecord } from '#tests/unit/jobs/job-fixtures.ts';

describe('toOpenAIJob', () => {
  it("Given a queued prompt tuning job, then it has OpenAI's fields and Attune's extensions", () => {
    const job = toOpenAIJob(jobRecord());
    expect(job).toMatchObject({
      id: 'ftjob-01jab000000000000000000000',
      object: 'fine_tuning.job',
      status: 'queued',
      model: 'attune-tiny',
      organization_id: 'sales',
      fine_tuned_model: null,
      user_provided_suffix: 'faq',
      seed: 42,
      metadata: { project: 'faq' },
      training_file: 'file-01jab000000000000000000000',
      validation_file: null,
      result_files: [],
      integrations: null,
      batch_job_id: 'batch-1',
      queue: { kind: 'cpu', reason: 'fits a small instance' },
    });
    expect(job.method).toEqual({
      type: 'prompt_tuning',
      prompt_tuning: { hyperparameters: jobRecord().method.hyperparameters },
    });
  });

  it('Given a supervised job, then its method nests the hyperparameters under supervised', () => {
    const hyperparameters = { n_epochs: 3, batch_size: 'auto', learning_rate_multiplier: 'auto' } as const;
    const job = toOpenAIJob(jobRecord({ method: { type: 'supervised', hyperparameters } }));
    expect(job.method).toEqual({ type: 'supervised', supervised: { hyperparameters } });
    expect(job.hyperparameters).toEqual(hyperparameters);
  });

  it('Given a succeeded job, then fine_tuned_model is its model name', () => {
    const job = toOpenAIJob(jobRecord({ status: 'succeeded', finishedAt: 1_795_900_500 }));
    expect(job.fine_tuned_model).toBe('pt:attune-tiny:sales:faq:01jab000000000000000000000');
    expect(job.finished_at).toBe(1_795_900_500);
  });

  it.each(['failed', 'cancelled', 'running'] as const)(
    'Given a %s job, then it names no fine-tuned model',
    (status) => {
      expect(toOpenAIJob(jobRecord({ status })).fine_tuned_model).toBeNull();
    },
  );

  it('Given a failed job, then its error has code, message and param', () => {
    const error = { code: 'batch_job_failed', message: 'Essential container exited', param: null };
    expect(toOpenAIJob(jobRecord({ status: 'failed', error })).error).toEqual(error);
  });
});

describe('events and checkpoints', () => {
  it('Given a metrics event, then it is a fine_tuning.job.event with its data', () => {
    const event = toOpenAIJobEvent({
      id: 'ftevent-1',
      jobId: 'ftjob-1',
      createdAt: 5,
      level: 'info',
      message: 'Step 10/100: training loss=1.20',
      type: 'metrics',
      data: { step: 10, train_loss: 1.2 },
    });
    expect(event).toEqual({
      id: 'ftevent-1',
      object: 'fine_tuning.job.event',
      created_at: 5,
      level: 'info',
      message: 'Step 10/100: training loss=1.20',
      type: 'metrics',
      data: { step: 10, train_loss: 1.2 },
    });
  });

  it('Given a checkpoint, then it is named after the job model and its step, as OpenAI does', () => {
    const checkpoint = toOpenAICheckpoint(
      {
        id: 'ftckpt-1',
        jobId: 'ftjob-1',
        createdAt: 7,
        stepNumber: 20,
        metrics: { step: 20, train_loss: 0.9 },
        objectPrefix: 'teams/sales/checkpoints/ftjob-1/step-20/',
      },
      'ft:attune-tiny:sales::1',
    );
    expect(checkpoint).toEqual({
      id: 'ftckpt-1',
      object: 'fine_tuning.job.checkpoint',
      created_at: 7,
      fine_tuned_model_checkpoint: 'ft:attune-tiny:sales::1:ckpt-step-20',
      fine_tuning_job_id: 'ftjob-1',
      metrics: { step: 20, train_loss: 0.9 },
      step_number: 20,
    });
  });
});

describe('newEventId', () => {
  it('Given many events in the same millisecond, then their ids still sort in the order they were made', () => {
    const ids = Array.from({ length: 50 }, () => newEventId(1_795_900_000_000));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(50);
    expect(ids.every((id) => isWellFormedId(id, 'ftevent'))).toBe(true);
  });
});

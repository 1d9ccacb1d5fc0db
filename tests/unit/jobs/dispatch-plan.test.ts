import { describe, expect, it } from 'vitest';
import { buildEstimate } from '#core/estimate/estimate.ts';
import { findCatalogModel } from '#core/estimate/model-catalog.ts';
import type { RunEstimate } from '#core/estimate/run-estimate.ts';
import {
  MAX_TIMEOUT_SECONDS,
  MIN_TIMEOUT_SECONDS,
  planDispatch,
  SMALL_INSTANCE_TYPES,
  TIMEOUT_FACTOR,
} from '#core/jobs/dispatch.ts';

/** The estimator's run for a model and method, as a job of that shape would be accepted under. */
function runOf(
  model: string,
  method: 'supervised' | 'prompt_tuning',
  data: { examples: number; tokens: number },
  batchSize: number | 'auto' = 'auto',
): RunEstimate {
  const shape = findCatalogModel(model);
  if (!shape) throw new Error(`no catalog model ${model}`);
  const estimate = buildEstimate({
    model: shape,
    data: { examples: data.examples, meanTokens: data.tokens, longTokens: data.tokens, validationTokens: 0 },
    files: { training_file: null, validation_file: null },
    methods: [method],
    hyperparameters: {
      n_epochs: 3,
      batch_size: batchSize,
      learning_rate_multiplier: 'auto',
      num_virtual_tokens: 20,
    },
    drivers: {
      budget_usd: null,
      deadline_hours: null,
      data_sensitivity: null,
      iteration: null,
      portability: null,
    },
    measured: () => [],
    budget: null,
    now: new Date('2026-11-29T00:00:00Z'),
  });
  const run = estimate.methods[method];
  if (!run) throw new Error('no run');
  return run;
}

describe('planDispatch', () => {
  it('Given a full fine-tune of the built-in model, then it goes to the GPU queue with one GPU', () => {
    const plan = planDispatch(runOf('attune-tiny', 'supervised', { examples: 500, tokens: 100 }));
    expect(plan).toMatchObject({ queue: 'gpu', gpus: 1 });
    expect(plan.reason).toContain('full fine-tuning');
  });

  it('Given a prompt tune of the built-in model, then it goes to a small CPU instance and says why', () => {
    const plan = planDispatch(runOf('attune-tiny', 'prompt_tuning', { examples: 500, tokens: 100 }));
    expect(plan.queue).toBe('cpu');
    expect(plan.gpus).toBe(0);
    expect(SMALL_INSTANCE_TYPES).toContain(plan.instanceType);
    expect(plan.reason).toMatch(/fits a small instance/);
  });

  it('Given a prompt tune whose frozen model does not fit a small instance, then the GPU queue, with the reason', () => {
    const run = runOf('gpt2-xl', 'prompt_tuning', { examples: 5000, tokens: 512 }, 2);
    const plan = planDispatch(run);
    expect(run.memory.total_bytes).toBeGreaterThan(16 * 1024 ** 3 * 0.9);
    expect(plan.queue).toBe('gpu');
    expect(plan.gpus).toBe(1);
    expect(plan.reason).toMatch(
      /more than the largest small instance holds \(c7i\.2xlarge, 16 GiB\): GPU queue/,
    );
  });

  it('Given a prompt tune larger than any single GPU, then a large CPU instance, with the reason', () => {
    const run = runOf('gpt2-xl', 'prompt_tuning', { examples: 5000, tokens: 1024 }, 2);
    const plan = planDispatch(run);
    expect(plan.queue).toBe('cpu');
    expect(plan.instanceType).toBe('m7i.4xlarge');
    expect(plan.reason).toContain('more than a single GPU holds');
  });

  it('Given an infeasible run, then planning refuses it rather than inventing resources', () => {
    const run = runOf('gpt2-xl', 'prompt_tuning', { examples: 5000, tokens: 1024 }, 8);
    expect(run.feasible).toBe(false);
    expect(() => planDispatch(run)).toThrow(RangeError);
  });

  it('Given a plan, then it asks for the instance vCPUs and its memory less the agent reserve', () => {
    const plan = planDispatch(runOf('attune-tiny', 'prompt_tuning', { examples: 500, tokens: 100 }));
    expect(plan.instanceType).toBe('c7i.large');
    expect(plan).toMatchObject({ vcpus: 2, memoryMiB: Math.floor(4 * 1024 * 0.9) });
  });

  it('Given a short run, then the timeout is the minimum', () => {
    const plan = planDispatch(runOf('attune-tiny', 'prompt_tuning', { examples: 10, tokens: 20 }));
    expect(plan.timeoutSeconds).toBe(MIN_TIMEOUT_SECONDS);
  });

  it('Given a long run on its estimated instance, then the timeout is the estimate times the factor', () => {
    const run = runOf('gpt2', 'supervised', { examples: 200_000, tokens: 1000 });
    const plan = planDispatch(run);
    expect(plan.instanceType).toBe(run.plan?.instance_type);
    const expected = Math.ceil((run.wall_clock_hours ?? 0) * 3600 * TIMEOUT_FACTOR);
    expect(plan.timeoutSeconds).toBe(Math.min(MAX_TIMEOUT_SECONDS, Math.max(MIN_TIMEOUT_SECONDS, expected)));
    expect(plan.timeoutSeconds).toBeGreaterThan(MIN_TIMEOUT_SECONDS);
  });

  it('Given no small instance types, then even a tiny prompt tune goes to the GPU queue', () => {
    const plan = planDispatch(runOf('attune-tiny', 'prompt_tuning', { examples: 500, tokens: 100 }), []);
    expect(plan.queue).toBe('gpu');
    expect(plan.reason).toContain('none');
  });
});

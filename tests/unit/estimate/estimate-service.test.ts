import { describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError } from '#core/errors.ts';
import { budgetsFromEnv, InMemorySpendLedger } from '#core/estimate/budget.ts';
import { createEstimate, type EstimateDeps } from '#core/estimate/estimate-service.ts';
import { parseEstimateRequest } from '#core/estimate/request-schema.ts';
import { calibrationSampleFor } from '#core/estimate/run-estimate.ts';
import { InMemoryCalibrationStore } from '#core/estimate/throughput.ts';
import type { FileRecord } from '#core/files.ts';

const NOW = new Date('2026-11-29T08:00:00Z');

function file(overrides: Partial<FileRecord>): FileRecord {
  return {
    team: 'search',
    id: 'file-train',
    filename: 'train.jsonl',
    purpose: 'fine-tune',
    bytes: 1000,
    createdAt: 0,
    status: 'processed',
    statusDetails: null,
    objectKey: 'teams/search/files/file-train',
    report: {
      format: 'chat',
      examples: 400,
      tokens: { min: 20, max: 900, mean: 150, p95: 300, total: 60_000 },
      duplicates: 0,
      errors: [],
      tokenizer: 'gpt2',
    },
    ...overrides,
  };
}

function deps(files: FileRecord[], calibration = new InMemoryCalibrationStore()): EstimateDeps {
  const spend = new InMemorySpendLedger();
  return {
    getFile: async (team, id) => files.find((f) => f.team === team && f.id === id),
    calibration,
    budgets: budgetsFromEnv({ ATTUNE_TEAM_BUDGETS: 'search:100' }),
    spend,
    now: () => NOW.getTime(),
  };
}

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('an estimate from a processed file', () => {
  it("given the team's processed file, then its examples and token statistics drive the estimate", async () => {
    const estimate = await createEstimate(
      deps([file({})]),
      'search',
      parseEstimateRequest({ model: 'gpt2', training_file: 'file-train' }),
    );
    expect(estimate.data).toMatchObject({
      examples: 400,
      mean_tokens: 150,
      long_tokens: 300,
      training_file: 'file-train',
    });
    expect(estimate.methods.supervised?.training_tokens.value).toBe(400 * 3 * 150);
    expect(estimate.budget).toMatchObject({
      monthly_usd: 100,
      spent_usd: 0,
      remaining_usd: 100,
      month: '2026-11',
    });
  });

  it('given a validation file, then its tokens are evaluated once per epoch', async () => {
    const validation = file({
      id: 'file-valid',
      report: {
        ...(file({}).report as NonNullable<FileRecord['report']>),
        tokens: { min: 1, max: 9, mean: 5, p95: 8, total: 5000 },
      },
    });
    const estimate = await createEstimate(
      deps([file({}), validation]),
      'search',
      parseEstimateRequest({ model: 'gpt2', training_file: 'file-train', validation_file: 'file-valid' }),
    );
    expect(estimate.data.validation_tokens).toBe(5000);
  });

  it("given another team's file, then 404, as if it did not exist", async () => {
    const error = await errorOf(
      createEstimate(
        deps([file({ team: 'ads' })]),
        'search',
        parseEstimateRequest({ model: 'gpt2', training_file: 'file-train' }),
      ),
    );
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as NotFoundError).param).toBe('training_file');
  });

  it('given a file still being processed, then 400 file_not_processed naming training_file', async () => {
    const error = await errorOf(
      createEstimate(
        deps([file({ status: 'uploaded' })]),
        'search',
        parseEstimateRequest({ model: 'gpt2', training_file: 'file-train' }),
      ),
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe('file_not_processed');
    expect((error as ValidationError).param).toBe('training_file');
  });

  it('given a file that failed validation, then 400 saying so', async () => {
    const error = await errorOf(
      createEstimate(
        deps([file({ status: 'error', statusDetails: 'line 3: invalid_json' })]),
        'search',
        parseEstimateRequest({ model: 'gpt2', training_file: 'file-train' }),
      ),
    );
    expect((error as ValidationError).message).toContain('line 3: invalid_json');
  });

  it('given an unknown model, then 400 model_not_found naming model and listing the catalog', async () => {
    const error = await errorOf(
      createEstimate(
        deps([]),
        'search',
        parseEstimateRequest({ model: 'gpt-9', training_tokens: 1000, examples: 10 }),
      ),
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).param).toBe('model');
    expect((error as ValidationError).message).toContain('llama-2-7b');
  });

  it('given more virtual tokens than the context holds, then 400 naming hyperparameters.num_virtual_tokens', async () => {
    const error = await errorOf(
      createEstimate(
        deps([]),
        'search',
        parseEstimateRequest({
          model: 'attune-tiny',
          training_tokens: 1000,
          examples: 10,
          hyperparameters: { num_virtual_tokens: 300 },
        }),
      ),
    );
    expect((error as ValidationError).param).toBe('hyperparameters.num_virtual_tokens');
  });
});

describe('calibration in an estimate', () => {
  it('given three measured runs for the chosen instance, then the estimate uses their median and says measured', async () => {
    const body = parseEstimateRequest({
      model: 'gpt2',
      training_tokens: 60_000,
      examples: 400,
      methods: ['supervised'],
    });
    const first = await createEstimate(deps([]), 'search', body);
    const plan = first.methods.supervised?.plan;
    if (!plan) throw new Error('expected a plan');
    expect(plan.throughput.source).toBe('datasheet × assumed utilisation');
    const calibration = new InMemoryCalibrationStore();
    const bucket = {
      instanceType: plan.instance_type,
      backend: plan.backend,
      method: 'supervised' as const,
      modelSize: '100M-1B',
    };
    const run = first.methods.supervised;
    const flopsPerToken = (run?.flops.value ?? 0) / (run?.training_tokens.value ?? 1);
    for (const [i, tps] of [900, 1000, 5000].entries()) {
      await calibration.record({
        bucket,
        tokensPerSecond: tps,
        flopsPerToken,
        jobId: `job-${i}`,
        recordedAt: i,
      });
    }
    const second = await createEstimate(deps([], calibration), 'search', body);
    const measured = second.methods.supervised?.plan;
    expect(measured?.instance_type).toBe(plan.instance_type);
    expect(measured?.throughput.source).toBe('measured');
    expect(measured?.throughput.tokens_per_second).toBeCloseTo(1000, 6);
    expect(measured?.calibration_bucket).toEqual(bucket);
  });
});

describe('the budget in an estimate', () => {
  it('given no budget_usd, then what remains of the month is the budget the recommendation respects', async () => {
    const d = deps([]);
    await d.spend.add('search', '2026-11', 99.99);
    const estimate = await createEstimate(
      d,
      'search',
      parseEstimateRequest({ model: 'gpt2', training_tokens: 60_000, examples: 400 }),
    );
    expect(estimate.budget?.remaining_usd).toBeCloseTo(0.01, 10);
    expect(estimate.recommendation.reasons.some((r) => r.driver === 'budget_usd')).toBe(true);
    expect(estimate.budget?.remaining_after_usd.supervised).toBeLessThan(0);
  });
});

describe('recording a finished run', () => {
  it("given a run on Attune's plan, then its sample carries the plan's bucket and the run's FLOPs per token", async () => {
    const estimate = await createEstimate(
      deps([]),
      'search',
      parseEstimateRequest({
        model: 'gpt2',
        training_tokens: 60_000,
        examples: 400,
        methods: ['supervised'],
      }),
    );
    const run = estimate.methods.supervised;
    if (!run) throw new Error('expected the fine-tuning run');
    const sample = calibrationSampleFor(run, { tokensPerSecond: 1234, jobId: 'ftjob-1', recordedAt: 5 });
    expect(sample?.bucket).toEqual(run.plan?.calibration_bucket);
    expect(sample?.flopsPerToken).toBeCloseTo(run.flops.value / run.training_tokens.value, 6);
  });

  it("given a run beyond Attune's trainer, then there is nothing to record", async () => {
    const estimate = await createEstimate(
      deps([]),
      'search',
      parseEstimateRequest({
        model: 'llama-2-7b',
        training_tokens: 60_000,
        examples: 400,
        methods: ['supervised'],
      }),
    );
    const run = estimate.methods.supervised;
    if (!run) throw new Error('expected the fine-tuning run');
    expect(calibrationSampleFor(run, { tokensPerSecond: 1, jobId: 'j', recordedAt: 1 })).toBeNull();
  });
});

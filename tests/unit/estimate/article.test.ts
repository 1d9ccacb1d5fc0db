import { describe, expect, it } from 'vitest';
import { buildEstimate, type Estimate } from '#core/estimate/estimate.ts';
import { findCatalogModel, type ModelShape } from '#core/estimate/model-catalog.ts';
import type { Drivers } from '#core/estimate/recommendation.ts';

/**
 * The article's head-to-head table, reproduced by the estimator: for a small and a large model, with a
 * few hundred and with tens of thousands of examples, prompt tuning costs less, finishes sooner and
 * leaves an artifact thousands of times smaller.
 */
const noDrivers: Drivers = {
  budget_usd: null,
  deadline_hours: null,
  data_sensitivity: null,
  iteration: null,
  portability: null,
};

function estimate(name: string, examples: number, drivers: Partial<Drivers> = {}): Estimate {
  return buildEstimate({
    model: findCatalogModel(name) as ModelShape,
    data: { examples, meanTokens: 200, longTokens: 400, validationTokens: 0 },
    files: { training_file: null, validation_file: null },
    methods: ['supervised', 'prompt_tuning', 'hybrid'],
    hyperparameters: {
      n_epochs: 'auto',
      batch_size: 'auto',
      learning_rate_multiplier: 'auto',
      num_virtual_tokens: 20,
    },
    drivers: { ...noDrivers, ...drivers },
    measured: () => [],
    budget: null,
    now: new Date('2026-11-29T00:00:00Z'),
  });
}

function rows(e: Estimate) {
  const ft = e.comparison.rows.find((r) => r.method === 'supervised');
  const pt = e.comparison.rows.find((r) => r.method === 'prompt_tuning');
  if (!ft || !pt) throw new Error('both methods expected');
  return { ft, pt };
}

const cases = [
  ['gpt2', 500],
  ['gpt2', 50_000],
  ['llama-2-7b', 500],
  ['llama-2-7b', 50_000],
] as const;

describe("the article's table", () => {
  it.each(cases)(
    'given %s and %i examples, then prompt tuning costs less than fine-tuning',
    (name, examples) => {
      const { ft, pt } = rows(estimate(name, examples));
      expect(pt.cost_usd).toBeLessThan(ft.cost_usd);
    },
  );

  it.each(cases)('given %s and %i examples, then prompt tuning needs fewer FLOPs', (name, examples) => {
    const e = estimate(name, examples);
    expect(e.methods.prompt_tuning?.flops.value).toBeLessThan(e.methods.supervised?.flops.value ?? 0);
  });

  it.each(cases)(
    'given %s and %i examples, then the prompt is at least 1000× smaller than the fine-tuned model',
    (name, examples) => {
      const { ft, pt } = rows(estimate(name, examples));
      expect(ft.artifact_bytes / pt.artifact_bytes).toBeGreaterThanOrEqual(1000);
    },
  );

  it.each(cases)(
    'given %s, %i examples and a deadline of whatever fine-tuning takes, then prompt tuning meets it for less',
    (name, examples) => {
      const { ft } = rows(estimate(name, examples));
      const { ft: ftRushed, pt } = rows(estimate(name, examples, { deadline_hours: ft.wall_clock_hours }));
      expect(pt.wall_clock_hours).toBeLessThanOrEqual(ft.wall_clock_hours);
      expect(pt.cost_usd).toBeLessThan(ftRushed.cost_usd);
    },
  );

  it.each([500, 50_000])(
    'given GPT-2 124M and %i examples with no deadline, then prompt tuning also finishes sooner',
    (examples) => {
      const { ft, pt } = rows(estimate('gpt2', examples));
      expect(pt.wall_clock_hours).toBeLessThan(ft.wall_clock_hours);
    },
  );

  it('given a 7B model, then fine-tuning is beyond Attune and the comparison is made like for like, beyond it', () => {
    const e = estimate('llama-2-7b', 500);
    expect(e.methods.supervised?.feasible).toBe(false);
    expect(e.methods.supervised?.infeasible_reason).toContain('bf16');
    expect(e.comparison.basis).toBe('beyond_attune');
  });
});

describe('the recommendation on the same table', () => {
  it.each(cases.filter(([, n]) => n === 500))(
    'given %s and %i examples, then prompt tuning is recommended',
    (name, examples) => {
      expect(estimate(name, examples).recommendation.method).toBe('prompt_tuning');
    },
  );

  it('given GPT-2 with 50,000 examples, quarterly changes and low sensitivity, then fine-tuning is recommended', () => {
    const e = estimate('gpt2', 50_000, { iteration: 'quarterly', data_sensitivity: 'low' });
    expect(e.recommendation.method).toBe('supervised');
  });

  it('given a 7B model with 50,000 examples, then fine-tuning is not recommended: Attune cannot run it', () => {
    const e = estimate('llama-2-7b', 50_000, { iteration: 'quarterly', data_sensitivity: 'low' });
    expect(e.recommendation.method).toBe('prompt_tuning');
    expect(e.recommendation.reasons.some((r) => r.driver === 'feasibility')).toBe(true);
  });

  it('given GPT-2 with 50,000 examples and weekly changes, then the hybrid path is recommended and spelled out', () => {
    const e = estimate('gpt2', 50_000, { iteration: 'weekly', data_sensitivity: 'low' });
    expect(e.recommendation.method).toBe('hybrid');
    expect(e.recommendation.hybrid_path).toMatch(
      /fine-tune once on evergreen data.*prompt-tune per campaign/,
    );
  });

  it('given GPT-2 with 50,000 examples but high data sensitivity, then prompt tuning is recommended', () => {
    const e = estimate('gpt2', 50_000, { iteration: 'quarterly', data_sensitivity: 'high' });
    expect(e.recommendation.method).toBe('prompt_tuning');
  });
});

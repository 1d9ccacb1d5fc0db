import { describe, expect, it } from 'vitest';
import { type ComparisonRow, type Drivers, recommend } from '#core/estimate/recommendation.ts';

const drivers: Drivers = {
  budget_usd: null,
  deadline_hours: null,
  data_sensitivity: null,
  iteration: null,
  portability: null,
};
const ft: ComparisonRow = {
  method: 'supervised',
  feasible: true,
  cost_usd: 40,
  wall_clock_hours: 6,
  artifact_bytes: 5e8,
  iteration_cost_usd: 40,
  iteration_hours: 6,
};
const pt: ComparisonRow = {
  method: 'prompt_tuning',
  feasible: true,
  cost_usd: 2,
  wall_clock_hours: 0.5,
  artifact_bytes: 6e4,
  iteration_cost_usd: 2,
  iteration_hours: 0.5,
};
const hybrid: ComparisonRow = {
  method: 'hybrid',
  feasible: true,
  cost_usd: 42,
  wall_clock_hours: 6.5,
  artifact_bytes: 5e8,
  iteration_cost_usd: 2,
  iteration_hours: 0.5,
};
const rows = [ft, pt, hybrid];
const input = (examples: number, d: Partial<Drivers> = {}, r: ComparisonRow[] = rows) =>
  recommend({ rows: r, examples, drivers: { ...drivers, ...d }, modelName: 'gpt2' });

describe('data volume', () => {
  it('given a few hundred examples, then prompt tuning, for a data-volume reason', () => {
    const rec = input(300);
    expect(rec.method).toBe('prompt_tuning');
    expect(rec.reasons).toContainEqual(
      expect.objectContaining({ driver: 'data_volume', favours: 'prompt_tuning' }),
    );
  });

  it('given a few thousand examples, then a prompt-tuning pilot first', () => {
    const rec = input(3000, { iteration: 'quarterly' });
    expect(rec.method).toBe('prompt_tuning');
    expect(rec.reasons.find((r) => r.driver === 'data_volume')?.message).toContain('pilot');
  });

  it('given tens of thousands of examples and quarterly changes, then fine-tuning', () => {
    expect(
      input(30_000, { iteration: 'quarterly', data_sensitivity: 'low', portability: false }).method,
    ).toBe('supervised');
  });
});

describe('drivers that push towards prompt tuning', () => {
  it('given high data sensitivity, then prompt tuning even with tens of thousands of examples', () => {
    const rec = input(30_000, { data_sensitivity: 'high', iteration: 'quarterly' });
    expect(rec.method).toBe('prompt_tuning');
    expect(rec.reasons).toContainEqual(
      expect.objectContaining({ driver: 'data_sensitivity', favours: 'prompt_tuning' }),
    );
  });

  it('given weekly changes and few examples, then prompt tuning, quoting the cost of each iteration', () => {
    const rec = input(500, { iteration: 'weekly' });
    expect(rec.method).toBe('prompt_tuning');
    expect(rec.reasons.find((r) => r.driver === 'iteration')?.message).toContain('$2.00');
  });

  it('given weekly changes and tens of thousands of examples, then the hybrid path', () => {
    const rec = input(30_000, { iteration: 'weekly' });
    expect(rec.method).toBe('hybrid');
    expect(rec.hybrid_path).toContain('fine-tune once on evergreen data');
  });

  it('given portability, then prompt tuning, saying that a new base model needs only a new prompt-tuning run', () => {
    const rec = input(30_000, { portability: true, iteration: 'quarterly' });
    expect(rec.method).toBe('prompt_tuning');
    expect(rec.reasons.find((r) => r.driver === 'portability')?.message).toContain('retrained, not copied');
  });
});

describe('limits', () => {
  it('given a budget fine-tuning exceeds, then fine-tuning is ruled out with the numbers', () => {
    const rec = input(30_000, { budget_usd: 10, iteration: 'quarterly' });
    expect(rec.method).toBe('prompt_tuning');
    expect(rec.reasons).toContainEqual(
      expect.objectContaining({
        driver: 'budget_usd',
        message: expect.stringContaining('$40.00, over the budget of $10.00'),
      }),
    );
  });

  it('given a deadline fine-tuning misses, then fine-tuning is ruled out', () => {
    const rec = input(30_000, { deadline_hours: 2, iteration: 'quarterly' });
    expect(rec.method).toBe('prompt_tuning');
    expect(
      rec.reasons.some((r) => r.driver === 'deadline_hours' && r.message.includes('past the deadline')),
    ).toBe(true);
  });

  it('given fine-tuning Attune cannot run, then it is ruled out for a feasibility reason', () => {
    const rec = input(30_000, { iteration: 'quarterly' }, [{ ...ft, feasible: false }, pt]);
    expect(rec.method).toBe('prompt_tuning');
    expect(rec.reasons.some((r) => r.driver === 'feasibility')).toBe(true);
  });

  it('given a budget nothing fits, then the cheapest method is named and the summary says nothing fits', () => {
    const rec = input(300, { budget_usd: 1 });
    expect(rec.method).toBe('prompt_tuning');
    expect(rec.summary).toContain('No method fits');
  });

  it('given only fine-tuning was asked about, then it is the recommendation whatever the drivers', () => {
    expect(input(300, { data_sensitivity: 'high' }, [ft]).method).toBe('supervised');
  });
});

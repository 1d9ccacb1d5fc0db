import { describe, expect, it } from 'vitest';
import { type DataProfile, type RunShape, trainingFlops, trainingTokens } from '#core/estimate/formulas.ts';
import { activationBytes, DEVICE_OVERHEAD_BYTES, USABLE_MEMORY_FRACTION } from '#core/estimate/memory.ts';
import { ATTUNE_TINY, countParameters } from '#core/estimate/model-catalog.ts';
import { choosePlans, type PlanRequest } from '#core/estimate/plans.ts';

const data: DataProfile = { examples: 100, meanTokens: 64, longTokens: 64, validationTokens: 0 };
const fineTune: RunShape = { method: 'supervised', epochs: 1, batchSize: 1, virtualTokens: 0 };

/** A plan request over attune-tiny's shape with `parameters` chosen to land memory exactly where a test needs it. */
function request(run: RunShape, parameters: number, deadlineHours: number | null = null): PlanRequest {
  const tokens = trainingTokens(ATTUNE_TINY, data, run);
  return {
    model: ATTUNE_TINY,
    parameters,
    run,
    sequenceLength: 64 + run.virtualTokens,
    tokens,
    flops: trainingFlops(ATTUNE_TINY, parameters, data, run, tokens.value),
    artifactBytes: 4 * parameters,
    deadlineHours,
    measured: () => [],
  };
}

/** The most parameters whose fp32 fine-tune still fits a device of `gib` GiB (16 bytes a parameter). */
function largestFineTuneFitting(gib: number): number {
  const activations = activationBytes(ATTUNE_TINY, {
    precision: 'fp32',
    shards: 1,
    microBatch: 1,
    sequenceLength: 64,
  });
  return Math.floor((gib * 1024 ** 3 * USABLE_MEMORY_FRACTION - activations - DEVICE_OVERHEAD_BYTES) / 16);
}

describe('instance selection for fine-tuning', () => {
  it('given a fine-tune that just fits 16 GiB, then the cheapest GPU (g4dn.xlarge, T4) is chosen', () => {
    const plans = choosePlans(request(fineTune, largestFineTuneFitting(16)));
    expect(plans.attune?.instance_type).toBe('g4dn.xlarge');
  });

  it('given one parameter more, then it moves to the cheapest 24 GiB GPU (g6.xlarge, L4)', () => {
    const plans = choosePlans(request(fineTune, largestFineTuneFitting(16) + 1));
    expect(plans.attune?.instance_type).toBe('g6.xlarge');
    expect(plans.attune?.device_memory_gib).toBe(24);
  });

  it('given a fine-tune that just fits 24 GiB, then Attune can still run it', () => {
    const plans = choosePlans(request(fineTune, largestFineTuneFitting(24)));
    expect(plans.attune).not.toBeNull();
  });

  it("given one parameter more than 24 GiB holds, then Attune cannot run it and a bf16 plan beyond Attune's trainer is priced", () => {
    const plans = choosePlans(request(fineTune, largestFineTuneFitting(24) + 1));
    expect(plans.attune).toBeNull();
    expect(plans.beyond_attune?.runs_on).toBe('beyond_attune');
    expect(plans.beyond_attune?.precision).toBe('bf16-mixed');
    expect(plans.beyond_attune?.description).toContain("beyond Attune's trainer");
    expect(plans.beyond_attune?.cost_usd.on_demand).toBeGreaterThan(0);
  });

  it('given a fine-tune, then no CPU instance is considered, however small the model', () => {
    const plans = choosePlans(request(fineTune, countParameters(ATTUNE_TINY)));
    expect(plans.attune?.device).toMatch(/NVIDIA/);
  });

  it('given a run too large for any single GPU even in bf16, then it is sharded over several GPUs', () => {
    const plans = choosePlans(request(fineTune, 20e9));
    expect(plans.beyond_attune?.sharding).toBe('zero3');
    expect(plans.beyond_attune?.devices).toBeGreaterThan(1);
  });
});

describe('instance selection for prompt tuning', () => {
  const promptTune: RunShape = { method: 'prompt_tuning', epochs: 3, batchSize: 4, virtualTokens: 20 };
  const tiny = countParameters(ATTUNE_TINY);

  it('given a small prompt-tuning job, then a CPU instance is the cheapest that fits', () => {
    const plans = choosePlans(request(promptTune, tiny));
    expect(plans.attune?.device).toMatch(/vCPU/);
    expect(plans.attune?.backend).toBe('tfjs-node');
  });

  it('given a deadline the cheapest plan misses, then the cheapest plan that meets it is chosen instead', () => {
    const bigData = { ...data, examples: 20_000, meanTokens: 100, longTokens: 100 };
    const tokens = trainingTokens(ATTUNE_TINY, bigData, promptTune);
    const base = {
      ...request(promptTune, tiny),
      tokens,
      flops: trainingFlops(ATTUNE_TINY, tiny, bigData, promptTune, tokens.value),
    };
    const cheapest = choosePlans(base).attune;
    const deadline = (cheapest?.wall_clock_hours ?? 0) * 0.8;
    const rushed = choosePlans({ ...base, deadlineHours: deadline }).attune;
    expect(rushed?.meets_deadline).toBe(true);
    expect(rushed?.wall_clock_hours).toBeLessThanOrEqual(deadline);
    expect(rushed?.cost_usd.on_demand).toBeGreaterThan(cheapest?.cost_usd.on_demand ?? 0);
  });

  it('given a deadline nothing can meet, then the cheapest plan is kept and marked as missing it', () => {
    const plans = choosePlans(request(promptTune, tiny, 0.001));
    expect(plans.attune?.meets_deadline).toBe(false);
  });

  it('given a plan, then cost is hours × price and spot applies the assumed discount', () => {
    const plan = choosePlans(request(promptTune, tiny)).attune;
    if (!plan) throw new Error('expected a plan');
    expect(plan.cost_usd.on_demand).toBeCloseTo(
      plan.wall_clock_hours * plan.price.on_demand_usd_per_hour,
      10,
    );
    expect(plan.cost_usd.spot).toBeCloseTo(
      plan.cost_usd.on_demand * (1 - plan.price.assumed_spot_discount),
      10,
    );
    expect(plan.price.source).toContain('us-east-1');
  });
});

import { describe, expect, it } from 'vitest';
import { estimateArtifact, inferenceOverhead, REFERENCE_REQUEST_TOKENS } from '#core/estimate/artifacts.ts';
import type { DataProfile, RunShape } from '#core/estimate/formulas.ts';
import { hybridEstimate } from '#core/estimate/hybrid.ts';
import { S3_STANDARD_STORAGE } from '#core/estimate/instance-catalog.ts';
import { countParameters, findCatalogModel, type ModelShape } from '#core/estimate/model-catalog.ts';
import { estimateRun, type RunContext } from '#core/estimate/run-estimate.ts';

const gpt2 = findCatalogModel('gpt2') as ModelShape;
const llama7b = findCatalogModel('llama-2-7b') as ModelShape;
const N = countParameters(gpt2);
const data: DataProfile = { examples: 500, meanTokens: 200, longTokens: 400, validationTokens: 0 };
const fineTune: RunShape = { method: 'supervised', epochs: 3, batchSize: 1, virtualTokens: 0 };
const promptTune: RunShape = { method: 'prompt_tuning', epochs: 3, batchSize: 1, virtualTokens: 20 };
const context = (model: ModelShape): RunContext => ({
  model,
  parameters: countParameters(model),
  data,
  deadlineHours: null,
  measured: () => [],
});

describe('artifact storage', () => {
  it('given a fine-tuned GPT-2, then a month in S3 costs its gigabytes × the dated S3 Standard price', () => {
    const artifact = estimateArtifact(gpt2, N, fineTune);
    expect(artifact.storage_usd_per_month).toBeCloseTo(((4 * N + 1024) / 1e9) * 0.023, 12);
    expect(artifact.storage_price).toBe(S3_STANDARD_STORAGE);
  });
});

describe('inference overhead', () => {
  it('given a 20-token soft prompt, then its cached key/value prefix takes 2 · n_layer · v · d · 4 bytes', () => {
    expect(inferenceOverhead(gpt2, N, 20, false).kv_prefix_bytes).toBe(2 * 12 * 20 * 768 * 4);
  });

  it('given the prompt run on every request, then it costs 2·N·v plus attention over the longer context', () => {
    const overhead = inferenceOverhead(gpt2, N, 20, false);
    expect(overhead.extra_flops_per_request.uncached).toBe(
      2 * N * 20 + 4 * 12 * 20 * (20 + REFERENCE_REQUEST_TOKENS) * 768,
    );
  });

  it("given the prompt's prefix cached, then what remains is under 1% of the request's own work", () => {
    const overhead = inferenceOverhead(gpt2, N, 20, false);
    expect(overhead.extra_flops_per_request.prefix_cached).toBe(4 * 12 * 20 * 768 * REFERENCE_REQUEST_TOKENS);
    expect(overhead.extra_flops_per_request.prefix_cached).toBeLessThan(
      overhead.base_flops_per_request / 100,
    );
    expect(overhead.extra_cost_usd_per_million_requests.prefix_cached).toBeLessThan(
      overhead.extra_cost_usd_per_million_requests.uncached / 10,
    );
  });

  it('given a fine-tune, then no tokens are added but a whole model must be hosted', () => {
    const overhead = inferenceOverhead(gpt2, N, 0, true);
    expect(overhead.virtual_tokens_added).toBe(0);
    expect(overhead.extra_flops_per_request.uncached).toBe(0);
    expect(overhead.dedicated_weights_bytes).toBe(4 * N);
  });
});

describe('a run Attune cannot do', () => {
  const run = estimateRun(context(llama7b), fineTune);

  it('given a 7B fine-tune, then it is infeasible, with the memory it needs and why', () => {
    expect(run.feasible).toBe(false);
    expect(run.memory.total_bytes).toBeGreaterThan(16 * 6.7e9);
    expect(run.infeasible_reason).toMatch(/needs \d+\.\d GiB on one device in fp32/);
  });

  it("given a 7B fine-tune, then the figures come from a labelled plan beyond Attune's trainer: bf16, sharded, several GPUs, priced", () => {
    expect(run.plan?.runs_on).toBe('beyond_attune');
    expect(run.plan?.precision).toBe('bf16-mixed');
    expect(run.plan?.sharding).toBe('zero3');
    expect(run.plan?.devices).toBeGreaterThan(1);
    expect(run.cost_usd?.on_demand).toBeGreaterThan(0);
    expect(run.plan?.calibration_bucket).toBeNull();
  });

  it("given a 7B prompt-tune that Attune can only run on a CPU, then a note says how much cheaper it is outside Attune's trainer", () => {
    const pt = estimateRun(context(llama7b), promptTune);
    expect(pt.feasible).toBe(true);
    expect(pt.plan?.device).toMatch(/vCPU/);
    expect(pt.notes.join(' ')).toMatch(/Outside Attune's fp32 trainer this run would cost \d+× less/);
  });
});

describe('the hybrid path', () => {
  const ft = estimateRun(context(gpt2), fineTune);
  const pt = estimateRun(context(gpt2), promptTune);
  const hybrid = hybridEstimate(ft, pt);

  it('given both runs, then the first campaign costs the fine-tune plus the prompt-tune', () => {
    expect(hybrid.cost_usd?.on_demand).toBeCloseTo(
      (ft.cost_usd?.on_demand ?? 0) + (pt.cost_usd?.on_demand ?? 0),
      12,
    );
    expect(hybrid.wall_clock_hours).toBeCloseTo((ft.wall_clock_hours ?? 0) + (pt.wall_clock_hours ?? 0), 12);
    expect(hybrid.trainable_parameters.value).toBe(N + 20 * 768);
  });

  it('given later campaigns, then each costs only the prompt-tuning run', () => {
    expect(hybrid.per_iteration?.cost_usd).toBe(pt.cost_usd?.on_demand);
  });

  it('given the artifacts, then the hybrid stores the fine-tuned model and the prompt', () => {
    expect(hybrid.artifact.bytes).toBe(ft.artifact.bytes + pt.artifact.bytes);
    expect(hybrid.inference.virtual_tokens_added).toBe(20);
    expect(hybrid.inference.dedicated_weights_bytes).toBe(4 * N);
  });
});

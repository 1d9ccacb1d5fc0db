import { ValidationError } from '#core/errors.ts';
import type { BudgetStatus } from '#core/estimate/budget.ts';
import {
  type DataProfile,
  type EstimateMethod,
  peakSequenceLength,
  type RunMethod,
  type RunShape,
} from '#core/estimate/formulas.ts';
import {
  type Figures,
  figuresOf,
  type HybridEstimate,
  hybridBeyondFigures,
  hybridEstimate,
} from '#core/estimate/hybrid.ts';
import { INSTANCE_CATALOG } from '#core/estimate/instance-catalog.ts';
import { fitsDevice, trainingMemory } from '#core/estimate/memory.ts';
import { countParameters, type ModelShape } from '#core/estimate/model-catalog.ts';
import { type LivePrice, type PricesSummary, priceBook, summarisePrices } from '#core/estimate/prices.ts';
import {
  type ComparisonRow,
  type Drivers,
  type Recommendation,
  recommend,
} from '#core/estimate/recommendation.ts';
import type { EstimateRequest } from '#core/estimate/request-schema.ts';
import { estimateRun, type RunEstimate } from '#core/estimate/run-estimate.ts';
import type { CalibrationBucket, Measurement } from '#core/estimate/throughput.ts';
import type { TrainerSite } from '#core/estimate/trainer-site.ts';
import { autoBatchSize, autoEpochs } from '#core/hyperparameters.ts';

/** The largest GPU of the single-GPU instances: what "auto" batch sizes are fitted to. */
export const AUTO_BATCH_DEVICE_GIB = Math.max(
  ...INSTANCE_CATALOG.instances.map((i) => (i.gpu?.count === 1 ? i.gpu.memory_gib : 0)),
);

/**
 * Resolves a run's "auto" values the way a job would: OpenAI's epoch rule, and OpenAI's batch rule (about
 * 0.2% of the examples, at most 32) halved until the fp32 run fits one GPU of a single-GPU instance, since
 * Attune's trainer holds the whole batch at once (no gradient accumulation) and an "auto" batch should
 * never be what forces a multi-GPU instance.
 */
export function resolveRunShape(
  model: ModelShape,
  parameters: number,
  data: DataProfile,
  method: RunMethod,
  hyperparameters: EstimateRequest['hyperparameters'],
): RunShape {
  const virtualTokens = method === 'prompt_tuning' ? hyperparameters.num_virtual_tokens : 0;
  if (virtualTokens >= model.n_positions) {
    throw new ValidationError(
      `Invalid value for 'hyperparameters.num_virtual_tokens': ${virtualTokens} virtual tokens leave no room for data in ${model.name}'s context of ${model.n_positions} tokens.`,
      { param: 'hyperparameters.num_virtual_tokens', code: 'invalid_value' },
    );
  }
  const epochs = hyperparameters.n_epochs === 'auto' ? autoEpochs(data.examples) : hyperparameters.n_epochs;
  const shape = (batchSize: number): RunShape => ({ method, epochs, batchSize, virtualTokens });
  if (hyperparameters.batch_size !== 'auto') return shape(hyperparameters.batch_size);
  let batch = autoBatchSize(data.examples);
  while (batch > 1) {
    const run = shape(batch);
    const memory = trainingMemory(model, parameters, run, {
      precision: 'fp32',
      shards: 1,
      microBatch: batch,
      sequenceLength: peakSequenceLength(model, data, run),
    });
    if (fitsDevice(memory.total_bytes, AUTO_BATCH_DEVICE_GIB)) break;
    batch = Math.ceil(batch / 2);
  }
  return shape(batch);
}

/** The model the estimate is for, with the parameter count every formula used. */
export interface ModelSummary {
  readonly name: string;
  readonly architecture: ModelShape['architecture'];
  readonly parameters: number;
  readonly n_layer: number;
  readonly n_embd: number;
  readonly n_head: number;
  readonly n_positions: number;
  readonly vocab_size: number;
  readonly source: string;
}

export interface Comparison {
  /** `attune` when every method runs on Attune's trainer; else every row is priced beyond it, like for like. */
  readonly basis: 'attune' | 'beyond_attune';
  readonly rows: readonly ComparisonRow[];
}

/** The answer of `POST /v1/estimates`. */
export interface Estimate {
  readonly object: 'estimate';
  readonly created_at: number;
  readonly model: ModelSummary;
  readonly data: {
    readonly examples: number;
    readonly mean_tokens: number;
    readonly long_tokens: number;
    readonly validation_tokens: number;
    readonly training_file: string | null;
    readonly validation_file: string | null;
  };
  /** Which source priced the plans (each plan's `price.price_source` says it per instance type). */
  readonly prices: PricesSummary;
  readonly methods: { supervised?: RunEstimate; prompt_tuning?: RunEstimate; hybrid?: HybridEstimate };
  readonly comparison: Comparison;
  readonly recommendation: Recommendation;
  readonly budget:
    | (BudgetStatus & { readonly remaining_after_usd: Partial<Record<EstimateMethod, number>> })
    | null;
}

/** Everything the builder needs, already resolved and validated (see estimate-service.ts). */
export interface EstimateInput {
  readonly model: ModelShape;
  readonly data: DataProfile;
  readonly files: { readonly training_file: string | null; readonly validation_file: string | null };
  readonly methods: readonly EstimateMethod[];
  readonly hyperparameters: EstimateRequest['hyperparameters'];
  readonly drivers: Drivers;
  readonly measured: (bucket: CalibrationBucket) => readonly Measurement[];
  readonly budget: BudgetStatus | null;
  readonly now: Date;
  /** Live on-demand prices by instance type; the catalog's price for every type not in it. */
  readonly livePrices?: ReadonlyMap<string, LivePrice>;
  /** Where Attune's trainer runs (AWS Batch when absent): what its plans' time is made of. */
  readonly trainer?: TrainerSite;
}

type MethodEstimate = RunEstimate | HybridEstimate;

/** A method's figures on a basis: Attune's plan (or beyond it where Attune cannot), or beyond Attune for all. */
function figuresOn(
  estimate: MethodEstimate,
  runs: Record<RunMethod, RunEstimate>,
  basis: Comparison['basis'],
): { total: Figures | null; iteration: Figures | null } {
  if (estimate.method === 'hybrid') {
    if (basis === 'attune') {
      const total = estimate.cost_usd && {
        cost: estimate.cost_usd.on_demand,
        spot: estimate.cost_usd.spot,
        hours: estimate.wall_clock_hours as number,
        deviceHours: estimate.device_hours as number,
      };
      return { total, iteration: figuresOf(runs.prompt_tuning.plan) };
    }
    return {
      total: hybridBeyondFigures(runs.supervised, runs.prompt_tuning),
      iteration: figuresOf(runs.prompt_tuning.beyond_attune),
    };
  }
  const total = figuresOf(basis === 'attune' ? estimate.plan : estimate.beyond_attune);
  return { total, iteration: total };
}

function toRow(estimate: MethodEstimate, figures: ReturnType<typeof figuresOn>): ComparisonRow {
  const none = Number.POSITIVE_INFINITY;
  return {
    method: estimate.method,
    feasible: estimate.feasible,
    cost_usd: figures.total?.cost ?? none,
    wall_clock_hours: figures.total?.hours ?? none,
    artifact_bytes: estimate.artifact.bytes,
    iteration_cost_usd: figures.iteration?.cost ?? none,
    iteration_hours: figures.iteration?.hours ?? none,
  };
}

function summarise(model: ModelShape, parameters: number): ModelSummary {
  return {
    name: model.name,
    architecture: model.architecture,
    parameters,
    n_layer: model.n_layer,
    n_embd: model.n_embd,
    n_head: model.n_head,
    n_positions: model.n_positions,
    vocab_size: model.vocab_size,
    source: model.source,
  };
}

/**
 * The whole estimate: every requested method side by side (the hybrid path's two runs are always
 * computed, since it is made of them), a like-for-like comparison, the recommendation and the budget.
 */
export function buildEstimate(input: EstimateInput): Estimate {
  const parameters = countParameters(input.model);
  const live = input.livePrices ?? new Map<string, LivePrice>();
  const context = {
    model: input.model,
    parameters,
    data: input.data,
    deadlineHours: input.drivers.deadline_hours,
    measured: input.measured,
    prices: priceBook(live),
    ...(input.trainer ? { trainer: input.trainer } : {}),
  };
  const run = (method: RunMethod) =>
    estimateRun(context, resolveRunShape(input.model, parameters, input.data, method, input.hyperparameters));
  const runs: Record<RunMethod, RunEstimate> = {
    supervised: run('supervised'),
    prompt_tuning: run('prompt_tuning'),
  };
  const all: Record<EstimateMethod, MethodEstimate> = {
    ...runs,
    hybrid: hybridEstimate(runs.supervised, runs.prompt_tuning),
  };
  const requested = input.methods.map((m) => all[m]);
  const basis: Comparison['basis'] = requested.every((e) => e.feasible) ? 'attune' : 'beyond_attune';
  const comparison = { basis, rows: requested.map((e) => toRow(e, figuresOn(e, runs, basis))) };
  const headline = requested.map((e) =>
    toRow(e, figuresOn(e, runs, e.feasible ? 'attune' : 'beyond_attune')),
  );
  const recommendation = recommend({
    rows: headline,
    examples: input.data.examples,
    drivers: input.drivers,
    modelName: input.model.name,
  });
  const methods: Estimate['methods'] = {};
  for (const m of input.methods) Object.assign(methods, { [m]: all[m] });
  const remaining: Partial<Record<EstimateMethod, number>> = {};
  if (input.budget) for (const r of headline) remaining[r.method] = input.budget.remaining_usd - r.cost_usd;
  return {
    object: 'estimate',
    created_at: Math.floor(input.now.getTime() / 1000),
    model: summarise(input.model, parameters),
    data: {
      examples: input.data.examples,
      mean_tokens: input.data.meanTokens,
      long_tokens: input.data.longTokens,
      validation_tokens: input.data.validationTokens,
      ...input.files,
    },
    prices: summarisePrices(live),
    methods,
    comparison,
    recommendation,
    budget: input.budget ? { ...input.budget, remaining_after_usd: remaining } : null,
  };
}

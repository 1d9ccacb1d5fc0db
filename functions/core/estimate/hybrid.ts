import type { InferenceOverhead } from '#core/estimate/artifacts.ts';
import type { Quantity } from '#core/estimate/formulas.ts';
import type { TrainingPlan } from '#core/estimate/plans.ts';
import type { RunEstimate } from '#core/estimate/run-estimate.ts';

/**
 * The hybrid path: fine-tune once, then prompt-tune on top of the fine-tuned model. It costs the two runs
 * together the first time, and only the prompt-tuning run for every later iteration.
 */

export interface StageSummary {
  readonly method: RunEstimate['method'];
  readonly feasible: boolean;
  readonly description: string | null;
  readonly wall_clock_hours: number | null;
  readonly cost_usd: number | null;
}

/** Cost and time of a plan, or of two plans run one after the other. */
export interface Figures {
  readonly cost: number;
  readonly spot: number;
  readonly hours: number;
  readonly deviceHours: number;
}

/** The hybrid path as `POST /v1/estimates` shows it. */
export interface HybridEstimate {
  readonly method: 'hybrid';
  readonly description: string;
  readonly feasible: boolean;
  readonly trainable_parameters: Quantity;
  readonly training_tokens: Quantity;
  readonly flops: Quantity;
  readonly wall_clock_hours: number | null;
  readonly device_hours: number | null;
  readonly cost_usd: { readonly on_demand: number; readonly spot: number } | null;
  /** One more campaign: the prompt-tuning stage alone. */
  readonly per_iteration: { readonly wall_clock_hours: number; readonly cost_usd: number } | null;
  readonly stages: { readonly supervised: StageSummary; readonly prompt_tuning: StageSummary };
  readonly artifact: {
    readonly bytes: number;
    readonly storage_usd_per_month: number;
    readonly formula: string;
  };
  readonly inference: InferenceOverhead;
}

/** A plan's cost and time, or null when there is no plan. */
export function figuresOf(plan: TrainingPlan | null): Figures | null {
  if (!plan) return null;
  return {
    cost: plan.cost_usd.on_demand,
    spot: plan.cost_usd.spot,
    hours: plan.wall_clock_hours,
    deviceHours: plan.device_hours,
  };
}

function add(a: Figures | null, b: Figures | null): Figures | null {
  if (!a || !b) return null;
  return {
    cost: a.cost + b.cost,
    spot: a.spot + b.spot,
    hours: a.hours + b.hours,
    deviceHours: a.deviceHours + b.deviceHours,
  };
}

function stage(run: RunEstimate): StageSummary {
  return {
    method: run.method,
    feasible: run.feasible,
    description: run.plan?.description ?? null,
    wall_clock_hours: run.wall_clock_hours,
    cost_usd: run.cost_usd?.on_demand ?? null,
  };
}

const sum = (a: Quantity, b: Quantity, what: string): Quantity => ({
  value: a.value + b.value,
  formula: `${what}: fine-tuning run + prompt-tuning run = ${a.value.toLocaleString('en-US')} + ${b.value.toLocaleString('en-US')}`,
});

/** The beyond-Attune figures of the hybrid path: both stages planned outside Attune's trainer. */
export function hybridBeyondFigures(fineTune: RunEstimate, promptTune: RunEstimate): Figures | null {
  return add(figuresOf(fineTune.beyond_attune), figuresOf(promptTune.beyond_attune));
}

/** Combines a fine-tuning run and a prompt-tuning run over its output (same data, same model shape). */
export function hybridEstimate(fineTune: RunEstimate, promptTune: RunEstimate): HybridEstimate {
  const feasible = fineTune.feasible && promptTune.feasible;
  const total = feasible
    ? add(figuresOf(fineTune.plan), figuresOf(promptTune.plan))
    : hybridBeyondFigures(fineTune, promptTune);
  const iteration = figuresOf(feasible ? promptTune.plan : promptTune.beyond_attune);
  return {
    method: 'hybrid',
    description:
      'fine-tune once on evergreen data, then prompt-tune per campaign on top of the fine-tuned model',
    feasible,
    trainable_parameters: sum(
      fineTune.trainable_parameters,
      promptTune.trainable_parameters,
      'trainable parameters',
    ),
    training_tokens: sum(fineTune.training_tokens, promptTune.training_tokens, 'training tokens'),
    flops: sum(fineTune.flops, promptTune.flops, 'FLOPs'),
    wall_clock_hours: total?.hours ?? null,
    device_hours: total?.deviceHours ?? null,
    cost_usd: total ? { on_demand: total.cost, spot: total.spot } : null,
    per_iteration: iteration ? { wall_clock_hours: iteration.hours, cost_usd: iteration.cost } : null,
    stages: { supervised: stage(fineTune), prompt_tuning: stage(promptTune) },
    artifact: {
      bytes: fineTune.artifact.bytes + promptTune.artifact.bytes,
      storage_usd_per_month:
        fineTune.artifact.storage_usd_per_month + promptTune.artifact.storage_usd_per_month,
      formula: 'the fine-tuned model + the soft prompt',
    },
    inference: {
      ...promptTune.inference,
      dedicated_weights_bytes: fineTune.inference.dedicated_weights_bytes,
    },
  };
}

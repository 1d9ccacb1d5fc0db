import {
  type ArtifactEstimate,
  estimateArtifact,
  type InferenceOverhead,
  inferenceOverhead,
} from '#core/estimate/artifacts.ts';
import {
  type DataProfile,
  peakSequenceLength,
  type Quantity,
  type RunShape,
  trainableParameters,
  trainingFlops,
  trainingTokens,
} from '#core/estimate/formulas.ts';
import { INSTANCE_CATALOG } from '#core/estimate/instance-catalog.ts';
import { estimateLocalRun, type LocalRunEstimate } from '#core/estimate/local-run.ts';
import { type MemoryBreakdown, trainingMemory } from '#core/estimate/memory.ts';
import type { ModelShape } from '#core/estimate/model-catalog.ts';
import { choosePlans, isAttuneInstance, type TrainingPlan } from '#core/estimate/plans.ts';
import type { PriceBook } from '#core/estimate/prices.ts';
import type { CalibrationBucket, CalibrationSample, Measurement } from '#core/estimate/throughput.ts';
import type { TrainerSite } from '#core/estimate/trainer-site.ts';

/** The estimate of one training run (a fine-tune or a prompt-tune), as `POST /v1/estimates` shows it. */
export interface RunEstimate {
  readonly method: RunShape['method'];
  readonly n_epochs: number;
  readonly batch_size: number;
  readonly num_virtual_tokens: number;
  readonly sequence_length: number;
  readonly trainable_parameters: Quantity;
  readonly training_tokens: Quantity;
  readonly flops: Quantity;
  /** Memory of the run as Attune's trainer would hold it: fp32, one device, the whole batch at once. */
  readonly memory: MemoryBreakdown;
  /** Whether Attune's trainer (fp32, one device) can run it on an instance of the catalog. */
  readonly feasible: boolean;
  readonly infeasible_reason: string | null;
  /** The plan the figures below come from: Attune's when feasible, else the cheapest beyond it. */
  readonly plan: TrainingPlan | null;
  /** The cheapest plan outside Attune's trainer (bf16, sharding, more GPUs), labelled as such. */
  readonly beyond_attune: TrainingPlan | null;
  readonly wall_clock_hours: number | null;
  readonly device_hours: number | null;
  readonly cost_usd: { readonly on_demand: number; readonly spot: number } | null;
  readonly artifact: ArtifactEstimate;
  readonly inference: InferenceOverhead;
  /** What the figures do not say on their own (a much cheaper way outside Attune, a missed deadline). */
  readonly notes: readonly string[];
  /**
   * In the embedded stack only: how long the run takes on its local runner (TF.js wasm on this machine),
   * beside the AWS plan's figures; null elsewhere and for runs Attune's trainer cannot do.
   */
  readonly local_run: LocalRunEstimate | null;
}

/** The model and data every run of an estimate shares. */
export interface RunContext {
  readonly model: ModelShape;
  readonly parameters: number;
  readonly data: DataProfile;
  readonly deadlineHours: number | null;
  readonly measured: (bucket: CalibrationBucket) => readonly Measurement[];
  /** Hourly prices (live where the provider had them); the catalog's when absent. */
  readonly prices?: PriceBook;
  /** Where Attune's trainer runs; AWS Batch when absent. The embedded stack adds `local_run`. */
  readonly trainer?: TrainerSite;
}

/** The largest device Attune's trainer can use for this method (a single GPU, or a CPU instance's memory). */
function largestAttuneDevice(method: RunShape['method']): string {
  const usable = INSTANCE_CATALOG.instances.filter((i) => isAttuneInstance(i, method));
  const gpu = Math.max(...usable.map((i) => (i.gpu ? i.gpu.memory_gib : 0)));
  const cpu = Math.max(...usable.map((i) => (i.gpu ? 0 : i.memory_gib)));
  return cpu > 0
    ? `${gpu} GiB on a single-GPU instance, ${cpu} GiB on a CPU instance`
    : `${gpu} GiB on a single-GPU instance`;
}

/** When a run Attune can do would be much cheaper outside its fp32 trainer, the team should hear it. */
const MUCH_CHEAPER = 3;

function notesFor(attune: TrainingPlan | null, beyond: TrainingPlan | null): string[] {
  const notes: string[] = [];
  if (attune && beyond && beyond.cost_usd.on_demand * MUCH_CHEAPER < attune.cost_usd.on_demand) {
    const times = attune.cost_usd.on_demand / beyond.cost_usd.on_demand;
    notes.push(
      `Outside Attune's fp32 trainer this run would cost ${times.toFixed(0)}× less: ${beyond.description}, $${beyond.cost_usd.on_demand.toFixed(2)} in ${beyond.wall_clock_hours.toFixed(2)} h.`,
    );
  }
  if (attune?.meets_deadline === false)
    notes.push('No Attune plan meets the deadline; this is the cheapest.');
  return notes;
}

const gib = (bytes: number): string => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;

/** Everything about one run: the formulas' figures, the memory, Attune's plan and the plan beyond it. */
export function estimateRun(context: RunContext, run: RunShape): RunEstimate {
  const { model, parameters, data } = context;
  const tokens = trainingTokens(model, data, run);
  const flops = trainingFlops(model, parameters, data, run, tokens.value);
  const sequenceLength = peakSequenceLength(model, data, run);
  const memory = trainingMemory(model, parameters, run, {
    precision: 'fp32',
    shards: 1,
    microBatch: run.batchSize,
    sequenceLength,
  });
  const artifact = estimateArtifact(model, parameters, run);
  const plans = choosePlans({
    model,
    parameters,
    run,
    sequenceLength,
    tokens,
    flops,
    artifactBytes: artifact.bytes,
    deadlineHours: context.deadlineHours,
    measured: context.measured,
    ...(context.prices ? { prices: context.prices } : {}),
  });
  const plan = plans.attune ?? plans.beyond_attune;
  const infeasibleReason = plans.attune
    ? null
    : `needs ${gib(memory.total_bytes)} on one device in fp32 (batch ${run.batchSize} × ${sequenceLength} tokens); Attune's trainer trains in fp32 on one device, and the largest it can use has ${largestAttuneDevice(run.method)}, so this needs bf16 mixed precision, sharding over several GPUs, or a smaller batch${plans.beyond_attune ? `: ${plans.beyond_attune.description}` : ', and no catalog instance is large enough even then'}.`;
  return {
    method: run.method,
    n_epochs: run.epochs,
    batch_size: run.batchSize,
    num_virtual_tokens: run.virtualTokens,
    sequence_length: sequenceLength,
    trainable_parameters: trainableParameters(model, parameters, run),
    training_tokens: tokens,
    flops,
    memory,
    feasible: plans.attune !== null,
    infeasible_reason: infeasibleReason,
    plan,
    beyond_attune: plans.beyond_attune,
    wall_clock_hours: plan?.wall_clock_hours ?? null,
    device_hours: plan?.device_hours ?? null,
    cost_usd: plan?.cost_usd ?? null,
    artifact,
    inference: inferenceOverhead(model, parameters, run.virtualTokens, run.method === 'supervised'),
    notes: notesFor(plans.attune, plans.beyond_attune),
    local_run:
      context.trainer === 'embedded'
        ? estimateLocalRun({
            method: run.method,
            tokens,
            flops,
            plan: plans.attune,
            measured: context.measured,
          })
        : null,
  };
}

/**
 * What a finished job records for calibration: the bucket of the plan it ran on, the data tokens per
 * second it measured, the FLOPs per data token of its estimate and, when the recorder knows the run's wall
 * time, the seconds of its training steps and the seconds outside them (from which the estimator fits its
 * fixed start-up term and its speed, see run-time-fit.ts). Null for a plan
 * outside Attune's trainer, which no Attune job runs.
 */
export function calibrationSampleFor(
  run: Pick<RunEstimate, 'feasible'> & {
    readonly plan: Pick<TrainingPlan, 'calibration_bucket'> | null;
    readonly flops: Pick<RunEstimate['flops'], 'value'>;
    readonly training_tokens: Pick<RunEstimate['training_tokens'], 'value'>;
  },
  measured: {
    readonly tokensPerSecond: number;
    readonly jobId: string;
    readonly recordedAt: number;
    readonly overheadSeconds?: number;
    readonly trainingSeconds?: number;
  },
): CalibrationSample | null {
  const bucket = run.feasible ? run.plan?.calibration_bucket : null;
  if (!bucket) return null;
  return { bucket, flopsPerToken: run.flops.value / run.training_tokens.value, ...measured };
}

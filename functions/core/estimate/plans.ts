import type { Quantity, RunShape } from '#core/estimate/formulas.ts';
import { INSTANCE_CATALOG, type InstanceType } from '#core/estimate/instance-catalog.ts';
import { fitsDevice, type MemoryBreakdown, type Precision, trainingMemory } from '#core/estimate/memory.ts';
import type { ModelShape } from '#core/estimate/model-catalog.ts';
import { catalogPrice, type InstancePrice, type PriceBook } from '#core/estimate/prices.ts';
import { fittedRunTime } from '#core/estimate/run-time-fit.ts';
import { BATCH_STARTUP_SECONDS, type Startup, startupFor } from '#core/estimate/startup.ts';
import {
  ASSUMED_UTILISATION,
  type Backend,
  type CalibrationBucket,
  type Measurement,
  modelSizeClass,
  type Throughput,
  throughputFor,
} from '#core/estimate/throughput.ts';

/**
 * Where and how a run would execute, and what that costs. Attune's own trainer trains in fp32 on one
 * device (a CPU instance, or one GPU); a run that fits nowhere that way still gets a plan, marked
 * `beyond_attune`, priced with what it would take: bf16 mixed precision, ZeRO-3/FSDP sharding, more GPUs.
 */

/** Scale-from-zero of a Batch compute environment and the image pull (see startup.ts). */
export const STARTUP_SECONDS = BATCH_STARTUP_SECONDS;
/** Sustained S3 transfer assumed for loading the base weights and writing the artifact. */
export const S3_BYTES_PER_SECOND = 250e6;
/** Largest number of 8-GPU instances a beyond-Attune plan may span. */
const MAX_NODES = 16;

export type Sharding = 'none' | 'data_parallel' | 'zero3';

/** A plan's hourly price, with `price_source` saying whether the AWS Price List or the catalog gave it. */
export type PlanPrice = InstancePrice;

/** One way to run a training job: instance, precision, sharding, memory, speed, time and cost. */
export interface TrainingPlan {
  readonly runs_on: 'attune' | 'beyond_attune';
  readonly description: string;
  readonly instance_type: string;
  readonly instance_count: number;
  readonly devices: number;
  readonly device: string;
  readonly device_memory_gib: number;
  readonly precision: Precision;
  readonly sharding: Sharding;
  readonly backend: Backend;
  /** The bucket a job run on this plan records its measured throughput under (Attune's plans only). */
  readonly calibration_bucket: CalibrationBucket | null;
  readonly memory_per_device: MemoryBreakdown;
  readonly throughput: Throughput;
  readonly compute_hours: number;
  readonly overhead_hours: number;
  /** The fixed part of `overhead_hours` beside S3 transfers, and where it comes from (assumed or measured). */
  readonly startup: Startup;
  readonly wall_clock_hours: number;
  /** Devices × wall-clock hours: the hardware time the run occupies, whatever its parallelism. */
  readonly device_hours: number;
  readonly cost_usd: { readonly on_demand: number; readonly spot: number };
  readonly price: PlanPrice;
  readonly meets_deadline: boolean | null;
}

/** The run to plan, with its FLOPs and tokens already computed. */
export interface PlanRequest {
  readonly model: ModelShape;
  readonly parameters: number;
  readonly run: RunShape;
  readonly sequenceLength: number;
  readonly tokens: Quantity;
  readonly flops: Quantity;
  readonly artifactBytes: number;
  readonly deadlineHours: number | null;
  /** Measured tokens/s of a calibration bucket, newest first (empty when none). */
  readonly measured: (bucket: CalibrationBucket) => readonly Measurement[];
  /** Hourly prices; the catalog's when absent. */
  readonly prices?: PriceBook;
}

interface Candidate {
  readonly instance: InstanceType;
  readonly nodes: number;
  readonly devices: number;
  readonly precision: Precision;
  readonly sharding: Sharding;
  readonly backend: Backend;
  readonly utilisation: number;
  readonly runsOn: 'attune' | 'beyond_attune';
}

function deviceMemoryGib(instance: InstanceType): number {
  return instance.gpu ? instance.gpu.memory_gib : instance.memory_gib;
}

function describe(c: Candidate): string {
  const name = c.nodes > 1 ? `${c.nodes} × ${c.instance.type}` : c.instance.type;
  if (c.runsOn === 'attune') {
    if (!c.instance.gpu) return `Attune's trainer, fp32 on the CPU of ${name}`;
    return `Attune's trainer, fp32 on the ${c.instance.gpu.model} of ${name}`;
  }
  const how =
    c.sharding === 'zero3'
      ? `ZeRO-3/FSDP sharded over ${c.devices} GPUs`
      : c.sharding === 'data_parallel'
        ? `data parallel over ${c.devices} GPUs`
        : 'one GPU';
  return `beyond Attune's trainer: bf16 mixed precision, ${how}, on ${name} (e.g. PyTorch + DeepSpeed/FSDP)`;
}

/**
 * Attune's Batch queues: CPU instances (prompt tuning only) and single-GPU instances. Its trainer uses one
 * device, so an 8-GPU instance would bill seven idle GPUs; runs too large for one of these are not Attune's.
 */
export function isAttuneInstance(instance: InstanceType, method: RunShape['method']): boolean {
  return instance.gpu ? instance.gpu.count === 1 : method === 'prompt_tuning';
}

/** Attune's backend on an instance of its Batch queues: the native TF.js binding its image installs. */
export function attuneBackend(instance: InstanceType): Backend {
  return instance.kind === 'gpu' ? 'tfjs-node-gpu' : 'tfjs-node';
}

function attuneCandidates(run: RunShape): Candidate[] {
  return INSTANCE_CATALOG.instances
    .filter((instance) => isAttuneInstance(instance, run.method))
    .map((instance) => ({
      instance,
      nodes: 1,
      devices: 1,
      precision: 'fp32' as const,
      sharding: 'none' as const,
      backend: attuneBackend(instance),
      utilisation: instance.kind === 'gpu' ? ASSUMED_UTILISATION.gpu : ASSUMED_UTILISATION.cpu,
      runsOn: 'attune' as const,
    }));
}

/** Utilisation of a multi-GPU plan: NVSwitch instances keep most of it; PCIe-only ones lose a lot to sharding. */
function multiDeviceUtilisation(instance: InstanceType, nodes: number, sharding: Sharding): number {
  const nvswitch = instance.gpu?.interconnect === 'nvswitch';
  if (nodes > 1) return nvswitch ? ASSUMED_UTILISATION.multiNode : ASSUMED_UTILISATION.pcieSharded;
  if (nvswitch) return ASSUMED_UTILISATION.multiGpu;
  return sharding === 'zero3' ? ASSUMED_UTILISATION.pcieSharded : ASSUMED_UTILISATION.pcieDataParallel;
}

function beyondCandidates(): Candidate[] {
  const out: Candidate[] = [];
  for (const instance of INSTANCE_CATALOG.instances) {
    if (!instance.gpu || instance.peak_bf16_tflops === null) continue;
    const maxNodes = instance.gpu.count === 8 ? MAX_NODES : 1;
    for (let nodes = 1; nodes <= maxNodes; nodes++) {
      const devices = instance.gpu.count * nodes;
      const shardings: Sharding[] = devices === 1 ? ['none'] : ['data_parallel', 'zero3'];
      for (const sharding of shardings) {
        out.push({
          instance,
          nodes,
          devices,
          precision: 'bf16-mixed',
          sharding,
          backend: 'pytorch',
          utilisation:
            devices === 1 ? ASSUMED_UTILISATION.gpu : multiDeviceUtilisation(instance, nodes, sharding),
          runsOn: 'beyond_attune',
        });
      }
    }
  }
  return out;
}

function evaluate(request: PlanRequest, c: Candidate): TrainingPlan | null {
  const fp32 = c.precision === 'fp32';
  const memory = trainingMemory(request.model, request.parameters, request.run, {
    precision: c.precision,
    shards: c.sharding === 'zero3' ? c.devices : 1,
    microBatch: fp32 ? request.run.batchSize : 1,
    sequenceLength: request.sequenceLength,
  });
  const gib = deviceMemoryGib(c.instance);
  if (!fitsDevice(memory.total_bytes, gib)) return null;
  const bucket: CalibrationBucket | undefined =
    c.runsOn === 'attune'
      ? {
          instanceType: c.instance.type,
          backend: c.backend,
          method: request.run.method,
          modelSize: modelSizeClass(request.parameters),
        }
      : undefined;
  const measured = bucket ? request.measured(bucket) : [];
  const flopsPerToken = request.flops.value / request.tokens.value;
  const fitted = bucket ? fittedRunTime({ measured, bucket, flopsPerToken }) : null;
  const throughput =
    fitted?.throughput ??
    throughputFor({
      peakTflops: fp32 ? c.instance.peak_fp32_tflops : (c.instance.peak_bf16_tflops as number),
      precisionLabel: fp32 ? 'fp32' : 'bf16',
      devices: c.devices,
      utilisation: c.utilisation,
      flopsPerToken,
      measured,
      ...(bucket ? { bucket } : {}),
    });
  const computeSeconds = request.tokens.value / throughput.tokens_per_second;
  const weightBytes = (fp32 ? 4 : 2) * request.parameters;
  const transferSeconds = (weightBytes + request.artifactBytes) / S3_BYTES_PER_SECOND;
  const startup =
    fitted?.startup ??
    startupFor({
      measured,
      ...(bucket ? { bucket } : {}),
      assumedSeconds: STARTUP_SECONDS[c.instance.kind],
      assumedDetail: `assumed: ${STARTUP_SECONDS[c.instance.kind]} s for a Batch compute environment to scale from zero and pull the ${c.instance.kind.toUpperCase()} image, plus S3 transfers at ${S3_BYTES_PER_SECOND / 1e6} MB/s`,
    });
  // A measured start-up already holds the run's transfers; an assumed Batch one adds them.
  const overheadSeconds = startup.seconds + (startup.source === 'measured' ? 0 : transferSeconds);
  const hours = (computeSeconds + overheadSeconds) / 3600;
  const price = (request.prices ?? catalogPrice)(c.instance);
  const onDemand = hours * price.on_demand_usd_per_hour * c.nodes;
  return {
    runs_on: c.runsOn,
    description: describe(c),
    instance_type: c.instance.type,
    instance_count: c.nodes,
    devices: c.devices,
    device: c.instance.gpu ? c.instance.gpu.model : `${c.instance.vcpu} vCPU`,
    device_memory_gib: gib,
    precision: c.precision,
    sharding: c.sharding,
    backend: c.backend,
    calibration_bucket: bucket ?? null,
    memory_per_device: memory,
    throughput,
    compute_hours: computeSeconds / 3600,
    overhead_hours: overheadSeconds / 3600,
    startup,
    wall_clock_hours: hours,
    device_hours: hours * c.devices,
    cost_usd: { on_demand: onDemand, spot: onDemand * (1 - price.assumed_spot_discount) },
    price,
    meets_deadline: request.deadlineHours === null ? null : hours <= request.deadlineHours,
  };
}

/** Cheapest first; among equal costs, the faster. Plans that meet the deadline come before those that miss it. */
function byPreference(a: TrainingPlan, b: TrainingPlan): number {
  const miss = Number(a.meets_deadline === false) - Number(b.meets_deadline === false);
  if (miss !== 0) return miss;
  return a.cost_usd.on_demand - b.cost_usd.on_demand || a.wall_clock_hours - b.wall_clock_hours;
}

export interface PlanChoice {
  /** Attune's cheapest fitting plan (fp32, one device), or null when no single device holds the run. */
  readonly attune: TrainingPlan | null;
  /**
   * The cheapest plan with what a team could use outside Attune's trainer (bf16 mixed precision, sharding,
   * several GPUs): what the run would take when Attune cannot run it, and a like-for-like comparison when
   * another method is only possible that way.
   */
  readonly beyond_attune: TrainingPlan | null;
}

function cheapest(request: PlanRequest, candidates: Candidate[]): TrainingPlan | null {
  const plans = candidates.map((c) => evaluate(request, c)).filter((p): p is TrainingPlan => p !== null);
  return plans.sort(byPreference)[0] ?? null;
}

/**
 * The cheapest instance that fits (and meets the deadline, when one is given and any plan can), once with
 * Attune's trainer and once beyond it. Prompt tuning may use CPU instances; fine-tuning needs a GPU.
 */
export function choosePlans(request: PlanRequest): PlanChoice {
  return {
    attune: cheapest(request, attuneCandidates(request.run)),
    beyond_attune: cheapest(request, beyondCandidates()),
  };
}

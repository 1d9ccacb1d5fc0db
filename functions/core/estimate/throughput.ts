import type { RunMethod } from '#core/estimate/formulas.ts';

/**
 * How fast a run goes, and where that figure comes from. Until Attune has watched enough runs of a kind,
 * the figure is the device's datasheet peak times an assumed utilisation; once it has, it is the median
 * of what it measured. The estimate always says which.
 */

/** The software a run uses: Attune's trainer on TF.js, or a framework beyond it (for plans it cannot run). */
export type Backend = 'tfjs-node' | 'tfjs-node-gpu' | 'tfjs-wasm' | 'pytorch';

/**
 * Assumed model FLOPs utilisation (MFU):
 * - one GPU: 35%, a usual figure for a well-fed transformer training step (Chowdhery et al. 2022 report
 *   46% at scale; small batches and fp32 do worse);
 * - several NVSwitch-connected GPUs in one instance: 30% (gradient/parameter exchange); across such
 *   instances (EFA): 25%;
 * - GPUs joined only by PCIe (g5.12xlarge, g5.48xlarge): 25% data parallel (one gradient all-reduce a step),
 *   12% when ZeRO-3 re-gathers every parameter each micro-batch, or when spanning instances;
 * - CPU: 10%, since TF.js's CPU kernels reach a small fraction of the vector units' peak.
 */
export const ASSUMED_UTILISATION = {
  gpu: 0.35,
  multiGpu: 0.3,
  multiNode: 0.25,
  pcieDataParallel: 0.25,
  pcieSharded: 0.12,
  cpu: 0.1,
} as const;

/** Runs a bucket needs before its measurements replace the datasheet. */
export const MIN_CALIBRATION_RUNS = 3;

/** What a measurement is comparable with: same instance type, software, method and model size. */
export interface CalibrationBucket {
  readonly instanceType: string;
  readonly backend: Backend;
  readonly method: RunMethod;
  readonly modelSize: string;
}

/** A decade of parameters, so a 124M and a 355M model share a bucket but a 7B does not. */
export function modelSizeClass(parameters: number): string {
  const bounds: [number, string][] = [
    [1e7, '<10M'],
    [1e8, '10M-100M'],
    [1e9, '100M-1B'],
    [1e10, '1B-10B'],
  ];
  for (const [bound, label] of bounds) if (parameters < bound) return label;
  return '>=10B';
}

/** The bucket as one string: the storage key of its measurements. */
export function bucketKey(bucket: CalibrationBucket): string {
  return `${bucket.instanceType}|${bucket.backend}|${bucket.method}|${bucket.modelSize}`;
}

/**
 * What one finished run measured: data tokens per second, and the FLOPs per data token the estimator
 * computed for that run. Together they give the FLOP/s the run achieved, which carries over to other
 * model sizes and sequence lengths of the bucket; tokens/s alone would not (a 1M- and a 9M-parameter
 * model share a bucket but not a speed).
 */
export interface Measurement {
  readonly tokensPerSecond: number;
  readonly flopsPerToken: number;
  /**
   * Seconds of the run's wall time outside its training steps (start-up, model and data loading, artifact
   * upload), when the recorder knew both; the estimator's start-up term is their median (see startup.ts).
   */
  readonly overheadSeconds?: number;
  /** Seconds the run's training steps took; with `overheadSeconds`, its wall time (see run-time-fit.ts). */
  readonly trainingSeconds?: number;
}

export interface CalibrationSample extends Measurement {
  readonly bucket: CalibrationBucket;
  readonly jobId: string;
  readonly recordedAt: number;
}

/** Refuses a measurement that is not a positive finite figure: one bad run would skew a median for months. */
export function checkMeasurement(sample: Measurement): void {
  for (const key of ['tokensPerSecond', 'flopsPerToken'] as const) {
    const value = sample[key];
    if (!(value > 0) || !Number.isFinite(value)) {
      throw new RangeError(`${key} must be a positive number, got ${value}`);
    }
  }
  const overhead = sample.overheadSeconds;
  if (overhead !== undefined && (!(overhead >= 0) || !Number.isFinite(overhead))) {
    throw new RangeError(`overheadSeconds must be a non-negative number, got ${overhead}`);
  }
  const training = sample.trainingSeconds;
  if (training !== undefined && (!(training > 0) || !Number.isFinite(training))) {
    throw new RangeError(`trainingSeconds must be a positive number, got ${training}`);
  }
}

/**
 * Where measurements live. The estimator only reads; finished jobs write. An adapter over DynamoDB keeps
 * them under the team-independent partition `CALIBRATION#<bucket>`: speed is a property of the hardware,
 * not of a team, so every team's runs improve every team's estimates.
 */
export interface CalibrationStore {
  record(sample: CalibrationSample): Promise<void>;
  /** The bucket's most recent measurements, newest first. */
  recent(bucket: CalibrationBucket): Promise<readonly Measurement[]>;
}

/** Measurements kept in process: for tests and the embedded stack's first minutes. */
export class InMemoryCalibrationStore implements CalibrationStore {
  private readonly samples = new Map<string, CalibrationSample[]>();

  async record(sample: CalibrationSample): Promise<void> {
    checkMeasurement(sample);
    const key = bucketKey(sample.bucket);
    const list = this.samples.get(key) ?? [];
    list.push(sample);
    list.sort((a, b) => b.recordedAt - a.recordedAt);
    this.samples.set(key, list);
  }

  async recent(bucket: CalibrationBucket): Promise<readonly Measurement[]> {
    return (this.samples.get(bucketKey(bucket)) ?? []).map(
      ({ tokensPerSecond, flopsPerToken, overheadSeconds, trainingSeconds }) => ({
        tokensPerSecond,
        flopsPerToken,
        ...(overheadSeconds === undefined ? {} : { overheadSeconds }),
        ...(trainingSeconds === undefined ? {} : { trainingSeconds }),
      }),
    );
  }
}

/** The middle value (mean of the two middle ones for an even count): robust to one odd run. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** The speed a plan assumes, and where that figure comes from. */
export interface Throughput {
  /** Data tokens per second (virtual tokens and validation passes are inside the per-token cost). */
  readonly tokens_per_second: number;
  readonly source: 'measured' | 'datasheet × assumed utilisation' | 'assumed';
  readonly detail: string;
}

/** What a plan assumes before calibration: the device's datasheet at a utilisation... */
interface DatasheetAssumption {
  readonly peakTflops: number;
  readonly precisionLabel: string;
  readonly devices: number;
  readonly utilisation: number;
  readonly assumed?: undefined;
}

/** ...or FLOP/s stated outright, for software that cannot use the device's peak (TF.js wasm). */
interface StatedAssumption {
  readonly assumed: { readonly flopsPerSecond: number; readonly source: string };
}

/**
 * Datasheet throughput: devices × peak TFLOPS × utilisation (or the stated FLOP/s), over the FLOPs each
 * data token costs. Measured throughput, once the bucket has `MIN_CALIBRATION_RUNS` runs: the median FLOP/s
 * those runs achieved (tokens/s × their FLOPs per token), over this run's FLOPs per token.
 */
export function throughputFor(
  options: {
    readonly flopsPerToken: number;
    readonly measured: readonly Measurement[];
    readonly bucket?: CalibrationBucket;
  } & (DatasheetAssumption | StatedAssumption),
): Throughput {
  const runs = options.measured.length;
  if (options.bucket && runs >= MIN_CALIBRATION_RUNS) {
    const achieved = median(options.measured.map((m) => m.tokensPerSecond * m.flopsPerToken));
    return {
      tokens_per_second: achieved / options.flopsPerToken,
      source: 'measured',
      detail: `median of ${runs} measured runs for ${bucketKey(options.bucket)}: ${(achieved / 1e12).toPrecision(3)} TFLOP/s achieved ÷ ${options.flopsPerToken.toExponential(3)} FLOPs per token`,
    };
  }
  const pending =
    options.bucket && runs > 0 ? `; ${runs} of ${MIN_CALIBRATION_RUNS} calibration runs so far` : '';
  if (options.assumed) {
    const { flopsPerSecond, source } = options.assumed;
    return {
      tokens_per_second: flopsPerSecond / options.flopsPerToken,
      source: 'assumed',
      detail: `${(flopsPerSecond / 1e9).toPrecision(3)} GFLOP/s (${source}) ÷ ${options.flopsPerToken.toExponential(3)} FLOPs per token${pending}`,
    };
  }
  const flops = options.devices * options.peakTflops * 1e12 * options.utilisation;
  return {
    tokens_per_second: flops / options.flopsPerToken,
    source: 'datasheet × assumed utilisation',
    detail: `${options.devices} × ${options.peakTflops} TFLOPS ${options.precisionLabel} × ${Math.round(options.utilisation * 100)}% utilisation ÷ ${options.flopsPerToken.toExponential(3)} FLOPs per token${pending}`,
  };
}

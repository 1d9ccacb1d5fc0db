import type { Startup } from '#core/estimate/startup.ts';
import {
  bucketKey,
  type CalibrationBucket,
  type Measurement,
  MIN_CALIBRATION_RUNS,
  type Throughput,
} from '#core/estimate/throughput.ts';

/**
 * A run's wall time as a fixed part plus a part proportional to its FLOPs, fitted to measured runs by
 * least squares: W = fixed + F ÷ R. A per-run ratio (tokens over training seconds) folds the fixed costs
 * inside the training loop (the first steps' kernel set-up, allocation) into the speed, so small runs look
 * slow and large runs are then over-predicted; fitting runs of different sizes separates the two.
 */
export interface RunTimeFit {
  /** Seconds every run pays whatever its size: start-up, loading, warm-up, upload. */
  readonly fixedSeconds: number;
  /** FLOP/s of the part that grows with the run. */
  readonly flopsPerSecond: number;
  readonly runs: number;
  readonly detail: string;
}

interface Point {
  readonly flops: number;
  readonly wallSeconds: number;
}

/** The runs that recorded both their training seconds and the rest of their wall time. */
function points(measured: readonly Measurement[]): Point[] {
  return measured.flatMap((m) =>
    m.trainingSeconds === undefined || m.overheadSeconds === undefined
      ? []
      : [
          {
            flops: m.tokensPerSecond * m.trainingSeconds * m.flopsPerToken,
            wallSeconds: m.trainingSeconds + m.overheadSeconds,
          },
        ],
  );
}

/** Smallest over largest run, in FLOPs, below which the runs span enough sizes to separate the two parts. */
const MAX_SIZE_RATIO = 0.5;

/**
 * The fit over a bucket's runs, or null when it cannot be trusted: fewer than `MIN_CALIBRATION_RUNS` runs
 * with timings, runs too alike in size, or a fit with a negative fixed part or a non-positive slope.
 */
export function fitRunTime(measured: readonly Measurement[], bucket: CalibrationBucket): RunTimeFit | null {
  const p = points(measured);
  if (p.length < MIN_CALIBRATION_RUNS) return null;
  const sizes = p.map((q) => q.flops);
  if (Math.min(...sizes) > MAX_SIZE_RATIO * Math.max(...sizes)) return null;
  const n = p.length;
  const meanF = p.reduce((s, q) => s + q.flops, 0) / n;
  const meanW = p.reduce((s, q) => s + q.wallSeconds, 0) / n;
  const sxx = p.reduce((s, q) => s + (q.flops - meanF) ** 2, 0);
  const sxy = p.reduce((s, q) => s + (q.flops - meanF) * (q.wallSeconds - meanW), 0);
  const secondsPerFlop = sxy / sxx;
  const fixedSeconds = meanW - secondsPerFlop * meanF;
  if (!(secondsPerFlop > 0) || !(fixedSeconds >= 0) || !Number.isFinite(fixedSeconds)) return null;
  const flopsPerSecond = 1 / secondsPerFlop;
  return {
    fixedSeconds,
    flopsPerSecond,
    runs: n,
    detail: `least-squares fit of wall time over ${n} measured runs of ${bucketKey(bucket)}: ${fixedSeconds.toFixed(1)} s fixed + FLOPs ÷ ${(flopsPerSecond / 1e9).toPrecision(3)} GFLOP/s`,
  };
}

/**
 * The speed and start-up a fit gives a run of `flopsPerToken`, in the shapes plans show; null without a
 * trustworthy fit (the caller keeps its medians or assumptions).
 */
export function fittedRunTime(options: {
  readonly measured: readonly Measurement[];
  readonly bucket: CalibrationBucket;
  readonly flopsPerToken: number;
}): { readonly throughput: Throughput; readonly startup: Startup } | null {
  const fit = fitRunTime(options.measured, options.bucket);
  if (!fit) return null;
  return {
    throughput: {
      tokens_per_second: fit.flopsPerSecond / options.flopsPerToken,
      source: 'measured',
      detail: `${fit.detail}; ÷ ${options.flopsPerToken.toExponential(3)} FLOPs per token`,
    },
    startup: { seconds: fit.fixedSeconds, source: 'measured', detail: fit.detail },
  };
}

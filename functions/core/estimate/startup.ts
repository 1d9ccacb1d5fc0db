import type { RunMethod } from '#core/estimate/formulas.ts';
import {
  bucketKey,
  type CalibrationBucket,
  type Measurement,
  MIN_CALIBRATION_RUNS,
  median,
} from '#core/estimate/throughput.ts';

/**
 * The fixed part of a run's wall time, which no throughput figure covers: getting a machine, starting the
 * trainer, loading the model, tokenising the data, writing the artifact. Assumed until a bucket has
 * `MIN_CALIBRATION_RUNS` runs that recorded theirs (wall time less training-step time); then their median.
 */

/** Scale-from-zero of a Batch compute environment and the image pull: small CPU images, CUDA images. */
export const BATCH_STARTUP_SECONDS = { cpu: 120, gpu: 300 } as const;

/**
 * The embedded stack's local runner before any run is measured: a Node process with tsx, TF.js wasm and
 * its BLAS addon initialised, the model and data read from loopback S3, the artifact written back. The
 * measured fixed part was 2.7–3.4 s on a 2-vCPU Xeon at load 2 with the native training kernels, and
 * 8–12 s under heavy load before them (bench/results/estimate-accuracy*.json, 2026-11-29); calibration
 * replaces it.
 */
export const EMBEDDED_STARTUP_SECONDS = 4;

/**
 * FLOP/s that Attune's trainer achieves on TF.js wasm with the native addon (OpenBLAS matmul and the
 * training kernels, 2 threads), before any run is measured. Prompt-tuning jobs of attune-tiny measured
 * 24–44 GFLOP/s of counted FLOPs on a 2-vCPU Xeon at load 2 (small jobs lower: their first steps are
 * slow), and before the training kernels 3 GFLOP/s under load 13 (bench/results/estimate-accuracy*.json,
 * 2026-11-29); the assumption leans low. Without the addon (no compiler) wasm alone is about a tenth of
 * that (bench/results/train.json). Fine-tuning achieves about 1.5× prompt tuning's counted FLOP/s
 * (train.json: similar tokens/s for 6·N against 4·N FLOPs a token). Calibration replaces these after
 * three runs.
 */
export const ASSUMED_WASM_FLOPS: Readonly<Record<RunMethod, number>> = {
  supervised: 36e9,
  prompt_tuning: 24e9,
};
export const WASM_FLOPS_SOURCE =
  'assumed: TF.js wasm with the OpenBLAS addon, between a quiet and a loaded 2-vCPU Xeon (bench/results/estimate-accuracy*.json, 2026-11-29)';

/** The fixed seconds a plan adds to its compute time, and where that figure comes from. */
export interface Startup {
  readonly seconds: number;
  readonly source: 'measured' | 'assumed';
  readonly detail: string;
}

/** The median recorded start-up of the bucket's runs once there are enough, else the assumption. */
export function startupFor(options: {
  readonly assumedSeconds: number;
  readonly assumedDetail: string;
  readonly measured: readonly Measurement[];
  readonly bucket?: CalibrationBucket;
}): Startup {
  const recorded = options.measured.map((m) => m.overheadSeconds).filter((s): s is number => s !== undefined);
  if (options.bucket && recorded.length >= MIN_CALIBRATION_RUNS) {
    const seconds = median(recorded);
    return {
      seconds,
      source: 'measured',
      detail: `median of ${recorded.length} measured runs for ${bucketKey(options.bucket)}: ${seconds.toFixed(1)} s outside the training steps (start-up, model and data loading, artifact upload)`,
    };
  }
  return { seconds: options.assumedSeconds, source: 'assumed', detail: options.assumedDetail };
}

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
 * The embedded stack's local runner before any run is measured: a Node process with tsx, TF.js wasm
 * initialised, the model and data read from loopback S3, the artifact written back. Measured on a
 * 2-vCPU Xeon shared with other work (bench/results/estimate-accuracy.json); calibration replaces it.
 */
export const EMBEDDED_STARTUP_SECONDS = 12;

/**
 * FLOP/s that Attune's trainer achieves on TF.js wasm, which runs one thread whatever the machine: the
 * estimator's own FLOPs per token times the tokens/s of bench/results/train.json (attune-tiny's shape,
 * batch 8 × 128, 2-vCPU Xeon, 2026-11-29: 246 tok/s fine-tuning, 217 prompt tuning). Prompt tuning
 * achieves less of its counted FLOPs: the frozen model's backward pass still runs through every layer.
 */
export const ASSUMED_WASM_FLOPS: Readonly<Record<RunMethod, number>> = {
  supervised: 2.1e9,
  prompt_tuning: 1.4e9,
};
export const WASM_FLOPS_SOURCE =
  'assumed: TF.js wasm runs one thread; FLOP/s achieved in bench/results/train.json (2-vCPU Xeon, 2026-11-29)';

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

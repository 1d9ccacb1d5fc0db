import type { Quantity, RunMethod } from '#core/estimate/formulas.ts';
import type { TrainingPlan } from '#core/estimate/plans.ts';
import { fittedRunTime } from '#core/estimate/run-time-fit.ts';
import {
  ASSUMED_WASM_FLOPS,
  EMBEDDED_STARTUP_SECONDS,
  type Startup,
  startupFor,
  WASM_FLOPS_SOURCE,
} from '#core/estimate/startup.ts';
import {
  type CalibrationBucket,
  type Measurement,
  type Throughput,
  throughputFor,
} from '#core/estimate/throughput.ts';

/**
 * How long a run takes in the embedded stack, where the local runner trains on TF.js wasm on the machine
 * that runs `npm start`, whatever instance the plan names. The AWS plan beside it keeps its own time and
 * price: the embedded stack runs the job here, but a team plans the cost of running it in AWS.
 */
export interface LocalRunEstimate {
  readonly runs_on: 'embedded_stack';
  readonly backend: 'tfjs-wasm';
  /** Where a finished local run records its measurement: the plan's bucket, with the wasm backend. */
  readonly calibration_bucket: CalibrationBucket;
  readonly throughput: Throughput;
  readonly startup: Startup;
  readonly compute_seconds: number;
  readonly wall_clock_seconds: number;
  readonly wall_clock_hours: number;
}

export interface LocalRunRequest {
  readonly method: RunMethod;
  readonly tokens: Quantity;
  readonly flops: Quantity;
  /** Attune's plan of the run (null when Attune's trainer cannot run it, and then there is no local run). */
  readonly plan: TrainingPlan | null;
  /** The wasm measurements of the run's bucket; every wasm run was on this one machine, whatever its plan. */
  readonly measured: (bucket: CalibrationBucket) => readonly Measurement[];
}

/**
 * The local runner's time for an Attune plan: a least-squares fit of measured runs' wall times (fixed part +
 * FLOPs ÷ speed) where there is one; else the medians of measured runs; else the assumed wasm speed and
 * start-up.
 */
export function estimateLocalRun(request: LocalRunRequest): LocalRunEstimate | null {
  const planned = request.plan?.runs_on === 'attune' ? request.plan.calibration_bucket : null;
  if (!planned) return null;
  const bucket: CalibrationBucket = { ...planned, backend: 'tfjs-wasm' };
  const measured = request.measured(bucket);
  const flopsPerToken = request.flops.value / request.tokens.value;
  const fitted = fittedRunTime({ measured, bucket, flopsPerToken });
  const throughput =
    fitted?.throughput ??
    throughputFor({
      flopsPerToken,
      measured,
      bucket,
      assumed: { flopsPerSecond: ASSUMED_WASM_FLOPS[request.method], source: WASM_FLOPS_SOURCE },
    });
  const startup =
    fitted?.startup ??
    startupFor({
      measured,
      bucket,
      assumedSeconds: EMBEDDED_STARTUP_SECONDS,
      assumedDetail: `assumed: ${EMBEDDED_STARTUP_SECONDS} s for the local runner to start the trainer process, load the model and data, and write the artifact`,
    });
  const computeSeconds = request.tokens.value / throughput.tokens_per_second;
  const wall = computeSeconds + startup.seconds;
  return {
    runs_on: 'embedded_stack',
    backend: 'tfjs-wasm',
    calibration_bucket: bucket,
    throughput,
    startup,
    compute_seconds: computeSeconds,
    wall_clock_seconds: wall,
    wall_clock_hours: wall / 3600,
  };
}

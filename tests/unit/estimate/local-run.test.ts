import { describe, expect, it } from 'vitest';
import { ConfigError } from '#core/errors.ts';
import { budgetsFromEnv, InMemorySpendLedger } from '#core/estimate/budget.ts';
import { createEstimate } from '#core/estimate/estimate-service.ts';
import { estimateLocalRun } from '#core/estimate/local-run.ts';
import type { TrainingPlan } from '#core/estimate/plans.ts';
import { parseEstimateRequest } from '#core/estimate/request-schema.ts';
import { calibrationSampleFor } from '#core/estimate/run-estimate.ts';
import { ASSUMED_WASM_FLOPS, EMBEDDED_STARTUP_SECONDS, startupFor } from '#core/estimate/startup.ts';
import {
  type CalibrationBucket,
  checkMeasurement,
  InMemoryCalibrationStore,
  type Measurement,
} from '#core/estimate/throughput.ts';
import { trainerSiteFromEnv } from '#core/estimate/trainer-site.ts';

const bucket: CalibrationBucket = {
  instanceType: 'c7g.large',
  backend: 'tfjs-node',
  method: 'prompt_tuning',
  modelSize: '<10M',
};
const wasmBucket: CalibrationBucket = { ...bucket, backend: 'tfjs-wasm' };
const plan = { runs_on: 'attune', calibration_bucket: bucket } as TrainingPlan;
/** 10 MFLOP a token, 100,000 tokens: 1 TFLOP in all. */
const request = (measured: readonly Measurement[]) => ({
  method: 'prompt_tuning' as const,
  tokens: { value: 100_000, formula: '' },
  flops: { value: 1e12, formula: '' },
  plan,
  measured: (b: CalibrationBucket) => (b.backend === 'tfjs-wasm' ? measured : []),
});
const run = (tokensPerSecond: number, overheadSeconds?: number): Measurement => ({
  tokensPerSecond,
  flopsPerToken: 1e7,
  ...(overheadSeconds === undefined ? {} : { overheadSeconds }),
});

describe('the local run of the embedded stack', () => {
  it('given no measured run, then the assumed wasm FLOP/s and the assumed start-up give its time', () => {
    const local = estimateLocalRun(request([]));
    const compute = 1e12 / ASSUMED_WASM_FLOPS.prompt_tuning;
    expect(local?.throughput.source).toBe('assumed');
    expect(local?.compute_seconds).toBeCloseTo(compute, 6);
    expect(local?.startup).toMatchObject({ seconds: EMBEDDED_STARTUP_SECONDS, source: 'assumed' });
    expect(local?.wall_clock_seconds).toBeCloseTo(compute + EMBEDDED_STARTUP_SECONDS, 6);
  });

  it("given the plan's bucket, then the local run records under it with the wasm backend", () => {
    expect(estimateLocalRun(request([]))?.calibration_bucket).toEqual(wasmBucket);
  });

  it('given three measured runs with their start-up, then both medians replace the assumptions', () => {
    const local = estimateLocalRun(request([run(200, 9), run(100, 30), run(300, 11)]));
    expect(local?.throughput.source).toBe('measured');
    expect(local?.compute_seconds).toBeCloseTo(100_000 / 200, 6);
    expect(local?.startup).toMatchObject({ seconds: 11, source: 'measured' });
    expect(local?.wall_clock_seconds).toBeCloseTo(511, 6);
  });

  it('given three runs of different sizes with their timings, then the fitted start-up and speed are used', () => {
    const timed = (flops: number): Measurement => {
      const trainingSeconds = flops / 2e9 + 2;
      return {
        tokensPerSecond: flops / 1e7 / trainingSeconds,
        flopsPerToken: 1e7,
        trainingSeconds,
        overheadSeconds: 6,
      };
    };
    const local = estimateLocalRun(request([timed(2e10), timed(1e11), timed(4e11)]));
    expect(local?.startup.detail).toContain('least-squares fit');
    expect(local?.wall_clock_seconds).toBeCloseTo(8 + 1e12 / 2e9, 4);
  });

  it('given a plan beyond Attune or none, then there is no local run', () => {
    expect(estimateLocalRun({ ...request([]), plan: null })).toBeNull();
    expect(
      estimateLocalRun({
        ...request([]),
        plan: { runs_on: 'beyond_attune', calibration_bucket: null } as TrainingPlan,
      }),
    ).toBeNull();
  });
});

describe('the start-up term', () => {
  const assumed = { assumedSeconds: 120, assumedDetail: 'assumed: Batch' };

  it('given runs without a recorded start-up, then the assumption stays, however many runs', () => {
    const startup = startupFor({ ...assumed, bucket, measured: [run(1), run(2), run(3), run(4)] });
    expect(startup).toEqual({ seconds: 120, source: 'assumed', detail: 'assumed: Batch' });
  });

  it('given two runs with a start-up, then the assumption stays until the third', () => {
    expect(startupFor({ ...assumed, bucket, measured: [run(1, 5), run(1, 6)] }).source).toBe('assumed');
  });

  it('given four runs with a start-up, then their median (mean of the middle two) is used and says so', () => {
    const startup = startupFor({
      ...assumed,
      bucket,
      measured: [run(1, 5), run(1, 6), run(1, 8), run(1, 40)],
    });
    expect(startup.seconds).toBe(7);
    expect(startup.detail).toContain('median of 4 measured runs for c7g.large|tfjs-node|prompt_tuning|<10M');
  });
});

describe('measurements with a start-up', () => {
  it('given a negative or infinite start-up, then the measurement is refused', () => {
    expect(() => checkMeasurement(run(100, -1))).toThrow(RangeError);
    expect(() => checkMeasurement(run(100, Number.POSITIVE_INFINITY))).toThrow(/overheadSeconds/);
  });

  it('given a zero start-up, then it is a valid measurement', () => {
    expect(() => checkMeasurement(run(100, 0))).not.toThrow();
  });

  it("given a finished run's start-up, then its calibration sample carries it", () => {
    const sample = calibrationSampleFor(
      {
        feasible: true,
        plan: { calibration_bucket: wasmBucket },
        flops: { value: 1e12 },
        training_tokens: { value: 1e5 },
      },
      { tokensPerSecond: 200, jobId: 'ftjob-1', recordedAt: 1, overheadSeconds: 9.5 },
    );
    expect(sample).toMatchObject({ bucket: wasmBucket, flopsPerToken: 1e7, overheadSeconds: 9.5 });
  });
});

describe('where the trainer runs', () => {
  it('given local endpoints, then the embedded stack; given none, then AWS Batch', () => {
    expect(trainerSiteFromEnv({ ATTUNE_DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000' })).toBe('embedded');
    expect(trainerSiteFromEnv({})).toBe('aws_batch');
  });

  it('given ATTUNE_TRAINER_SITE, then it decides; given another value, then a ConfigError names it', () => {
    expect(trainerSiteFromEnv({ ATTUNE_TRAINER_SITE: 'aws_batch', ATTUNE_S3_ENDPOINT: 'http://x' })).toBe(
      'aws_batch',
    );
    expect(() => trainerSiteFromEnv({ ATTUNE_TRAINER_SITE: 'laptop' })).toThrow(ConfigError);
    expect(() => trainerSiteFromEnv({ ATTUNE_TRAINER_SITE: 'laptop' })).toThrow(/ATTUNE_TRAINER_SITE/);
  });
});

describe('an estimate in the embedded stack', () => {
  const body = parseEstimateRequest({
    model: 'attune-tiny',
    training_tokens: 20_000,
    examples: 200,
    methods: ['prompt_tuning'],
  });
  const deps = (calibration: InMemoryCalibrationStore, trainer?: 'embedded' | 'aws_batch') => ({
    getFile: async () => undefined,
    calibration,
    budgets: budgetsFromEnv({}),
    spend: new InMemorySpendLedger(),
    ...(trainer ? { trainer } : {}),
  });

  it('given AWS Batch, then no local run is shown', async () => {
    const estimate = await createEstimate(deps(new InMemoryCalibrationStore()), 'search', body);
    expect(estimate.methods.prompt_tuning?.local_run).toBeNull();
  });

  it("given wasm runs recorded under other instance types' buckets, then the local run uses them all", async () => {
    const store = new InMemoryCalibrationStore();
    const first = await createEstimate(deps(store, 'embedded'), 'search', body);
    const planned = first.methods.prompt_tuning;
    const own = planned?.local_run?.calibration_bucket as CalibrationBucket;
    const tokens = planned?.training_tokens.value as number;
    const types = ['c7i.large', 'c7g.xlarge', 'm7i.xlarge'];
    for (const [n, instanceType] of types.entries()) {
      await store.record({
        bucket: { ...own, instanceType },
        jobId: `ftjob-${n}`,
        recordedAt: n,
        tokensPerSecond: 50,
        flopsPerToken: (planned?.flops.value as number) / tokens,
        overheadSeconds: 8,
      });
    }
    const local = (await createEstimate(deps(store, 'embedded'), 'search', body)).methods.prompt_tuning
      ?.local_run;
    expect(local?.throughput).toMatchObject({ source: 'measured', tokens_per_second: 50 });
    expect(local?.wall_clock_seconds).toBeCloseTo(tokens / 50 + 8, 6);
  });

  it('given wasm runs, then the AWS plan beside the local run keeps its datasheet figure', async () => {
    const store = new InMemoryCalibrationStore();
    const first = await createEstimate(deps(store, 'embedded'), 'search', body);
    const own = first.methods.prompt_tuning?.local_run?.calibration_bucket as CalibrationBucket;
    for (const n of [1, 2, 3]) {
      await store.record({
        bucket: own,
        jobId: `ftjob-${n}`,
        recordedAt: n,
        tokensPerSecond: 50,
        flopsPerToken: 1e7,
      });
    }
    const estimate = await createEstimate(deps(store, 'embedded'), 'search', body);
    expect(estimate.methods.prompt_tuning?.plan?.throughput.source).toBe('datasheet × assumed utilisation');
  });
});

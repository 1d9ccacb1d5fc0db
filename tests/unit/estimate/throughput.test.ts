import { describe, expect, it } from 'vitest';
import {
  bucketKey,
  type CalibrationBucket,
  InMemoryCalibrationStore,
  MIN_CALIBRATION_RUNS,
  median,
  modelSizeClass,
  throughputFor,
} from '#core/estimate/throughput.ts';

const bucket: CalibrationBucket = {
  instanceType: 'g5.xlarge',
  backend: 'tfjs-node-gpu',
  method: 'supervised',
  modelSize: '100M-1B',
};
/** Runs measured on a model costing 1 GFLOP a data token. */
const runs = (...tokensPerSecond: number[]) =>
  tokensPerSecond.map((t) => ({ tokensPerSecond: t, flopsPerToken: 1e9 }));
const datasheet = {
  peakTflops: 31.2,
  precisionLabel: 'fp32',
  devices: 1,
  utilisation: 0.35,
  flopsPerToken: 1e9,
};

describe('datasheet throughput', () => {
  it('given 31.2 TFLOPS at 35% and 1 GFLOP a token, then 10,920 tokens/s, labelled datasheet × utilisation', () => {
    const t = throughputFor({ ...datasheet, measured: [] });
    expect(t.tokens_per_second).toBeCloseTo(10_920, 6);
    expect(t.source).toBe('datasheet × assumed utilisation');
    expect(t.detail).toContain('35% utilisation');
  });

  it('given fewer than three measured runs, then the datasheet figure is kept and the runs so far are mentioned', () => {
    const t = throughputFor({ ...datasheet, bucket, measured: runs(5000, 6000) });
    expect(t.source).toBe('datasheet × assumed utilisation');
    expect(t.detail).toContain(`2 of ${MIN_CALIBRATION_RUNS} calibration runs`);
  });

  it('given three measured runs, then their median replaces the datasheet and the source says measured', () => {
    const t = throughputFor({ ...datasheet, bucket, measured: runs(9000, 4000, 5000) });
    expect(t.tokens_per_second).toBeCloseTo(5000, 9);
    expect(t.source).toBe('measured');
  });

  it('given runs of a model half as costly per token, then the FLOP/s they achieved carries over: half their tokens/s', () => {
    const cheaper = [9000, 4000, 5000].map((tps) => ({ tokensPerSecond: tps, flopsPerToken: 0.5e9 }));
    const t = throughputFor({ ...datasheet, bucket, measured: cheaper });
    expect(t.tokens_per_second).toBeCloseTo(2500, 9);
    expect(t.detail).toContain('TFLOP/s achieved');
  });
});

describe('calibration store', () => {
  it('given runs recorded in two buckets, then each bucket returns only its own, newest first', async () => {
    const store = new InMemoryCalibrationStore();
    const other = { ...bucket, method: 'prompt_tuning' as const };
    await store.record({ bucket, tokensPerSecond: 100, flopsPerToken: 1e9, jobId: 'a', recordedAt: 1 });
    await store.record({ bucket, tokensPerSecond: 200, flopsPerToken: 1e9, jobId: 'b', recordedAt: 2 });
    await store.record({
      bucket: other,
      tokensPerSecond: 300,
      flopsPerToken: 1e9,
      jobId: 'c',
      recordedAt: 3,
    });
    expect(await store.recent(bucket)).toEqual(runs(200, 100));
    expect(await store.recent(other)).toEqual(runs(300));
  });

  it('given a non-positive measurement, then it is refused', async () => {
    const store = new InMemoryCalibrationStore();
    await expect(
      store.record({ bucket, tokensPerSecond: 0, flopsPerToken: 1e9, jobId: 'a', recordedAt: 1 }),
    ).rejects.toThrow(RangeError);
  });

  it('given a measurement without FLOPs per token, then it is refused', async () => {
    const store = new InMemoryCalibrationStore();
    await expect(
      store.record({ bucket, tokensPerSecond: 10, flopsPerToken: Number.NaN, jobId: 'a', recordedAt: 1 }),
    ).rejects.toThrow(RangeError);
  });
});

describe('buckets', () => {
  it('given 124M and 355M models, then they share a size class; a 7B model does not', () => {
    expect(modelSizeClass(124e6)).toBe(modelSizeClass(355e6));
    expect(modelSizeClass(7e9)).toBe('1B-10B');
    expect(modelSizeClass(70e9)).toBe('>=10B');
    expect(modelSizeClass(1e6)).toBe('<10M');
  });

  it('given a bucket, then its key names instance, backend, method and size', () => {
    expect(bucketKey(bucket)).toBe('g5.xlarge|tfjs-node-gpu|supervised|100M-1B');
  });

  it('given an even number of values, then the median is the mean of the middle two', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(RangeError);
  });
});

import { describe, expect, it } from 'vitest';
import { fitRunTime, fittedRunTime } from '#core/estimate/run-time-fit.ts';
import type { CalibrationBucket, Measurement } from '#core/estimate/throughput.ts';

const bucket: CalibrationBucket = {
  instanceType: 'c7g.large',
  backend: 'tfjs-wasm',
  method: 'prompt_tuning',
  modelSize: '<10M',
};

/**
 * A run of `flops` FLOPs on a machine with `fixed` seconds of fixed cost, of which `warmup` seconds fall
 * inside the training steps (as the first steps' set-up does), at `rate` FLOP/s.
 */
function run(flops: number, options: { fixed?: number; warmup?: number; rate?: number } = {}): Measurement {
  const { fixed = 10, warmup = 3, rate = 2e9 } = options;
  const trainingSeconds = flops / rate + warmup;
  const flopsPerToken = 1e7;
  return {
    tokensPerSecond: flops / flopsPerToken / trainingSeconds,
    flopsPerToken,
    trainingSeconds,
    overheadSeconds: fixed - warmup,
  };
}

describe('fitting wall time to measured runs', () => {
  it('given runs of different sizes with a warm-up inside their training steps, then the fit recovers the fixed part and the speed', () => {
    const fit = fitRunTime([run(2e10), run(1e11), run(4e11)], bucket);
    expect(fit?.fixedSeconds).toBeCloseTo(10, 6);
    expect(fit?.flopsPerSecond).toBeCloseTo(2e9, 0);
    expect(fit?.detail).toContain('least-squares fit of wall time over 3 measured runs');
  });

  it('given runs with their timings, then a run of another size is predicted exactly where the ratio median is not', () => {
    const runs = [run(2e10), run(1e11), run(4e11)];
    const fitted = fittedRunTime({ measured: runs, bucket, flopsPerToken: 1e7 });
    const tokens = 1e12 / 1e7;
    const predicted =
      (fitted?.startup.seconds as number) + tokens / (fitted?.throughput.tokens_per_second as number);
    expect(predicted).toBeCloseTo(10 + 1e12 / 2e9, 4);
    expect(fitted?.throughput.source).toBe('measured');
    expect(fitted?.startup.source).toBe('measured');
  });

  it('given fewer than three runs with timings, then there is no fit', () => {
    const untimed = { tokensPerSecond: 100, flopsPerToken: 1e7 };
    expect(fitRunTime([run(2e10), run(4e11), untimed, untimed], bucket)).toBeNull();
  });

  it('given runs all of about one size, then the two parts cannot be told apart and there is no fit', () => {
    expect(fitRunTime([run(1e11), run(1.2e11), run(1.4e11)], bucket)).toBeNull();
  });

  it('given runs whose fit has a negative fixed part, then there is no fit', () => {
    const timed = (flops: number, wallSeconds: number): Measurement => ({
      tokensPerSecond: flops / 1e7 / wallSeconds,
      flopsPerToken: 1e7,
      trainingSeconds: wallSeconds,
      overheadSeconds: 0,
    });
    expect(fitRunTime([timed(1e10, 1), timed(1e11, 60), timed(4e11, 260)], bucket)).toBeNull();
  });

  it('given larger runs that took less time, then the slope is not positive and there is no fit', () => {
    const runs = [run(2e10, { rate: 1e8 }), run(1e11, { rate: 1e9 }), run(4e11, { rate: 1e11 })];
    expect(fitRunTime(runs, bucket)).toBeNull();
  });
});

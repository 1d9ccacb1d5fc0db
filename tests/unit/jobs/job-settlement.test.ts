import { describe, expect, it } from 'vitest';
import { INSTANCE_CATALOG } from '#core/estimate/instance-catalog.ts';
import type { JobRecord } from '#core/jobs/job.ts';
import { actualCostOf, calibrationSampleOfJob, hourlyPriceOf, settleJob } from '#core/jobs/job-settlement.ts';
import {
  CALIBRATION_BUCKET as BUCKET,
  jobEstimate as estimate,
  jobRecord,
} from '#tests/unit/jobs/job-fixtures.ts';

const succeeded = (measured: { tokensPerSecond: number; backend: string }, e = estimate()) =>
  jobRecord({
    status: 'succeeded',
    finishedAt: 1_795_900_900,
    estimate: e,
    measuredRun: { ...measured, trainingSeconds: 8000 / measured.tokensPerSecond },
  });

describe('actualCostOf', () => {
  it('Given 30 minutes of run time at $2 an hour, then it cost $1', () => {
    expect(actualCostOf({ estimate: estimate() }, 1800)).toEqual({
      wall_seconds: 1800,
      usd_per_hour: 2,
      cost_usd: 1,
      attempts: 1,
    });
  });

  it('Given an estimate from before prices were kept on it, then the catalog price of its instance', () => {
    const { on_demand_usd_per_hour: _, ...old } = estimate();
    const catalog = INSTANCE_CATALOG.instances.find((i) => i.type === 'c7i.large')?.on_demand_usd_per_hour;
    expect(hourlyPriceOf({ estimate: old })).toBe(catalog);
  });

  it('Given a job without an estimate, then it is billed at nothing', () => {
    expect(actualCostOf({ estimate: null }, 60).cost_usd).toBe(0);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('Given %s seconds, then a RangeError', (seconds) => {
    expect(() => actualCostOf({ estimate: estimate() }, seconds)).toThrow(RangeError);
  });
});

describe('calibrationSampleOfJob', () => {
  it('Given a job trained on the native backend, then its sample is in the bucket of its estimate', () => {
    const sample = calibrationSampleOfJob(succeeded({ tokensPerSecond: 400, backend: 'tensorflow' }));
    expect(sample).toEqual({
      bucket: BUCKET,
      flopsPerToken: 4e6,
      tokensPerSecond: 400,
      jobId: 'ftjob-01jab000000000000000000000',
      recordedAt: 1_795_900_900_000,
    });
  });

  it("Given a job trained on wasm (the embedded stack), then its sample is in the instance's wasm bucket", () => {
    const sample = calibrationSampleOfJob(succeeded({ tokensPerSecond: 90, backend: 'wasm' }));
    expect(sample?.bucket).toEqual({ ...BUCKET, backend: 'tfjs-wasm' });
  });

  it('Given a run of one attempt, then the sample splits its wall time into training steps and the rest', () => {
    const job = succeeded({ tokensPerSecond: 400, backend: 'wasm' });
    const sample = calibrationSampleOfJob(job, actualCostOf(job, 50, 1));
    expect(sample).toMatchObject({ trainingSeconds: 20, overheadSeconds: 30 });
  });

  it('Given a run retried after a lost host, then the sample does not split its wall time (the lost attempt is in it)', () => {
    const job = succeeded({ tokensPerSecond: 400, backend: 'wasm' });
    const sample = calibrationSampleOfJob(job, actualCostOf(job, 50, 2));
    expect(sample).not.toHaveProperty('overheadSeconds');
    expect(sample?.tokensPerSecond).toBe(400);
  });

  it('Given a job that measured nothing, then no sample', () => {
    expect(calibrationSampleOfJob(jobRecord({ status: 'succeeded', estimate: estimate() }))).toBeNull();
  });

  it('Given a job whose plan has no calibration bucket, then no sample', () => {
    const job = succeeded({ tokensPerSecond: 1, backend: 'wasm' }, estimate({ calibration_bucket: null }));
    expect(calibrationSampleOfJob(job)).toBeNull();
  });

  it('Given a failed job with a measurement, then no sample', () => {
    const job = { ...succeeded({ tokensPerSecond: 5, backend: 'wasm' }), status: 'failed' as const };
    expect(calibrationSampleOfJob(job)).toBeNull();
  });
});

describe('settleJob', () => {
  /**
   * `recorded`: whether this settlement's recordActualCost wins. `stored`: the job as the table holds it
   * afterwards. `corrected`: jobs whose ledger correction was applied before.
   */
  function fakes(recorded: boolean, stored?: JobRecord, corrected: string[] = []) {
    const spend: [string, string, number][] = [];
    const samples: unknown[] = [];
    const applied = new Set(corrected);
    return {
      spend,
      samples,
      deps: {
        jobs: { recordActualCost: async () => recorded, get: async () => stored },
        spend: {
          spent: async () => 0,
          add: async (team: string, month: string, usd: number) => {
            spend.push([team, month, usd]);
          },
          correct: async (team: string, month: string, usd: number, jobId: string) => {
            if (applied.has(jobId)) return false;
            applied.add(jobId);
            spend.push([team, month, usd]);
            return true;
          },
        },
        calibration: {
          record: async (sample: unknown) => {
            samples.push(sample);
          },
          recent: async () => [],
        },
      },
    };
  }

  it('Given the first settlement of a succeeded job, then the ledger gets actual minus estimate in the month it was created, and one sample', async () => {
    const { deps, spend, samples } = fakes(true);
    const job = succeeded({ tokensPerSecond: 400, backend: 'tensorflow' });
    expect(await settleJob(deps, job, 900)).toBe(true);
    expect(spend).toEqual([['sales', '2026-11', 0.5 - 0.5]]);
    expect(samples).toHaveLength(1);
  });

  it('Given a job already settled, then neither the ledger nor calibration is touched', async () => {
    const job = succeeded({ tokensPerSecond: 400, backend: 'wasm' });
    const stored = { ...job, actualCost: actualCostOf(job, 900) };
    const { deps, spend, samples } = fakes(false, stored, [job.id]);
    expect(await settleJob(deps, job, 900)).toBe(false);
    expect(spend).toEqual([]);
    expect(samples).toEqual([]);
  });

  it('Given a job whose cost was recorded by a settlement that died before the ledger, when settled again, then the ledger is corrected with the recorded cost and calibration is not repeated', async () => {
    const job = succeeded({ tokensPerSecond: 400, backend: 'wasm' });
    const stored = { ...job, actualCost: actualCostOf(job, 1800) };
    const { deps, spend, samples } = fakes(false, stored);
    expect(await settleJob(deps, job, 900)).toBe(false);
    expect(spend).toEqual([['sales', '2026-11', (stored.actualCost.cost_usd as number) - 0.5]]);
    expect(samples).toEqual([]);
  });

  it('Given a job that never ran, then its whole estimate is refunded and nothing is calibrated', async () => {
    const { deps, spend, samples } = fakes(true);
    await settleJob(deps, jobRecord({ status: 'cancelled', estimate: estimate() }), 0);
    expect(spend).toEqual([['sales', '2026-11', -0.5]]);
    expect(samples).toEqual([]);
  });
});

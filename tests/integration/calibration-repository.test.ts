import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CalibrationRepository, calibrationPk, RECENT_RUNS } from '#aws/calibration-repository.ts';
import type { CalibrationBucket, Measurement } from '#core/estimate/throughput.ts';
import { testClients, testConfig } from '#tests/test-clients.ts';

const config = testConfig();
const repository = new CalibrationRepository(testClients().dynamo, config.tableName);

const tokensPerSecond = (runs: readonly Measurement[]) => runs.map((r) => r.tokensPerSecond);

/** A bucket no other test writes to: an instance type name nobody else uses. */
function bucket(): CalibrationBucket {
  return {
    instanceType: `test-${randomUUID().slice(0, 8)}.xlarge`,
    backend: 'tfjs-node-gpu',
    method: 'supervised',
    modelSize: '100M-1B',
  };
}

describe('calibration repository (DynamoDB Local)', () => {
  it('given runs recorded out of order, then recent returns them newest first', async () => {
    const b = bucket();
    await repository.record({
      bucket: b,
      tokensPerSecond: 100,
      flopsPerToken: 1e9,
      jobId: 'ftjob-a',
      recordedAt: 1000,
    });
    await repository.record({
      bucket: b,
      tokensPerSecond: 300,
      flopsPerToken: 1e9,
      jobId: 'ftjob-c',
      recordedAt: 3000,
    });
    await repository.record({
      bucket: b,
      tokensPerSecond: 200,
      flopsPerToken: 1e9,
      jobId: 'ftjob-b',
      recordedAt: 2000,
    });
    expect(tokensPerSecond(await repository.recent(b))).toEqual([300, 200, 100]);
  });

  it('given a run that recorded its start-up and one that did not, then each reads back as it was written', async () => {
    const b = bucket();
    const base = { bucket: b, tokensPerSecond: 100, flopsPerToken: 1e9 };
    await repository.record({
      ...base,
      jobId: 'ftjob-a',
      recordedAt: 1000,
      overheadSeconds: 9.25,
      trainingSeconds: 31.5,
    });
    await repository.record({ ...base, jobId: 'ftjob-b', recordedAt: 2000 });
    expect(await repository.recent(b)).toEqual([
      { tokensPerSecond: 100, flopsPerToken: 1e9 },
      { tokensPerSecond: 100, flopsPerToken: 1e9, overheadSeconds: 9.25, trainingSeconds: 31.5 },
    ]);
  });

  it('given the same job recorded twice, then it counts once', async () => {
    const b = bucket();
    const sample = {
      bucket: b,
      tokensPerSecond: 100,
      flopsPerToken: 1e9,
      jobId: 'ftjob-a',
      recordedAt: 1000,
    };
    await repository.record(sample);
    await repository.record(sample);
    expect(await repository.recent(b)).toEqual([{ tokensPerSecond: 100, flopsPerToken: 1e9 }]);
  });

  it('given another bucket, then its runs are not returned', async () => {
    const b = bucket();
    await repository.record({
      bucket: { ...b, method: 'prompt_tuning' },
      tokensPerSecond: 5,
      flopsPerToken: 1e9,
      jobId: 'j',
      recordedAt: 1,
    });
    expect(await repository.recent(b)).toEqual([]);
  });

  it(`given more than ${RECENT_RUNS} runs, then only the most recent ${RECENT_RUNS} are returned`, async () => {
    const b = bucket();
    for (let i = 0; i < RECENT_RUNS + 2; i++) {
      await repository.record({
        bucket: b,
        tokensPerSecond: i + 1,
        flopsPerToken: 1e9,
        jobId: `job-${i}`,
        recordedAt: i,
      });
    }
    const recent = await repository.recent(b);
    expect(recent).toHaveLength(RECENT_RUNS);
    expect(recent[0]?.tokensPerSecond).toBe(RECENT_RUNS + 2);
  });

  it('given a non-positive measurement, then nothing is written', async () => {
    const b = bucket();
    await expect(
      repository.record({ bucket: b, tokensPerSecond: -1, flopsPerToken: 1e9, jobId: 'j', recordedAt: 1 }),
    ).rejects.toThrow(RangeError);
    expect(await repository.recent(b)).toEqual([]);
  });

  it('given a bucket, then its partition is team-independent', () => {
    expect(calibrationPk(bucket())).toMatch(
      /^CALIBRATION#test-[0-9a-f]{8}\.xlarge\|tfjs-node-gpu\|supervised\|100M-1B$/,
    );
  });
});

import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FormatError } from '#core/errors.ts';
import { checkpointPrefix } from '#core/jobs/models.ts';
import type { TrainingState } from '#model/train-state.ts';
import { trainerStores } from '#tests/integration/trainer-fixture.ts';
import { JobCheckpoints, LATEST_FILE } from '#trainer/checkpoints.ts';

/** The trainer's checkpoints in s3rver and DynamoDB Local: what a retry finds, and what it refuses. */
const stores = trainerStores();

function state(step: number): TrainingState {
  const data = Float32Array.from([1, 2, 3, step]);
  return {
    method: 'prompt_tuning',
    seed: 7,
    step,
    totalSteps: 20,
    trainedTokens: step * 10,
    params: new Map([['prompt_embeddings', { shape: [2, 2], data }]]),
    optimizer: { step, moments: new Map([['prompt_embeddings', { m: data.map((x) => x / 10), v: data }]]) },
  };
}

function freshJob() {
  const team = `ckpt-${randomBytes(4).toString('hex')}`;
  const jobId = `ftjob-${randomBytes(6).toString('hex')}`;
  return { team, jobId, checkpoints: new JobCheckpoints(stores.store, stores.jobs, team, jobId) };
}

describe('JobCheckpoints', () => {
  it('Given a job that never checkpointed, when the latest is asked for, then there is none', async () => {
    expect(await freshJob().checkpoints.latest()).toBeUndefined();
  });

  it('Given two saved checkpoints, when the latest is read back, then it is the second, bit for bit', async () => {
    const { team, jobId, checkpoints } = freshJob();
    await checkpoints.save(state(4), { train_loss: 1.5 });
    await checkpoints.save(state(8));

    const latest = await checkpoints.latest();

    expect(latest?.step).toBe(8);
    expect(latest?.trainedTokens).toBe(80);
    expect([...(latest?.params.get('prompt_embeddings')?.data ?? [])]).toEqual([1, 2, 3, 8]);
    expect([...(latest?.optimizer.moments.get('prompt_embeddings')?.v ?? [])]).toEqual([1, 2, 3, 8]);
    const listed = await stores.jobs.listCheckpoints(team, jobId, { limit: 10 });
    expect(listed.map((c) => [c.stepNumber, c.metrics.train_loss])).toEqual([
      [8, undefined],
      [4, 1.5],
    ]);
  });

  it('Given a pointer that is not JSON, when the latest is read, then it is a FormatError rather than a fresh start', async () => {
    const { team, jobId, checkpoints } = freshJob();
    await stores.store.put(`${checkpointPrefix(team, jobId)}${LATEST_FILE}`, '{ torn');

    await expect(checkpoints.latest()).rejects.toThrow(FormatError);
  });

  it('Given a pointer naming no object key, when the latest is read, then it is a FormatError', async () => {
    const { team, jobId, checkpoints } = freshJob();
    await stores.store.put(`${checkpointPrefix(team, jobId)}${LATEST_FILE}`, '{"step": 3}');

    await expect(checkpoints.latest()).rejects.toThrow(/names no checkpoint object/);
  });
});

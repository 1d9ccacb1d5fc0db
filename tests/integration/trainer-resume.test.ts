import { describe, expect, it } from 'vitest';
import { checkpointPrefix, modelArtifactPrefix } from '#core/jobs/models.ts';
import {
  objectText,
  runTrainer,
  seedRunningJob,
  seedTeam,
  trainerStores,
} from '#tests/integration/trainer-fixture.ts';

/**
 * A spot reclaim: Batch sends SIGTERM, the trainer stops after its current step, uploads a checkpoint and
 * exits non-zero; Batch's retry starts the same job again and it continues from that checkpoint.
 */
const stores = trainerStores();

describe('the trainer under SIGTERM', () => {
  it('Given a job training, when SIGTERM arrives mid-run, then a checkpoint is uploaded and the trainer exits non-zero; when run again, then it resumes from the checkpoint and succeeds', async () => {
    const seeded = await seedTeam(stores);
    const job = await seedRunningJob(stores, seeded, 'supervised', { n_epochs: 12, batch_size: 1 });
    // No periodic checkpoint: the only one is the SIGTERM one.
    const env = { ATTUNE_METRICS_INTERVAL_MS: '0', ATTUNE_CHECKPOINT_EVERY: '100000' };

    const first = await runTrainer(job, env, (e) => e.event === 'metrics' && Number(e.step) >= 3);

    expect(first.code, first.stderr).toBe(143);
    const latest = JSON.parse(
      await objectText(stores, `${checkpointPrefix(job.team, job.id)}latest.json`),
    ) as {
      step: number;
      key: string;
    };
    expect(latest.step).toBeGreaterThanOrEqual(3);
    expect(await stores.store.exists(latest.key)).toBe(true);
    const listed = await stores.jobs.listCheckpoints(job.team, job.id, { limit: 10 });
    expect(listed.map((c) => c.stepNumber)).toEqual([latest.step]);
    expect(await stores.store.exists(`${modelArtifactPrefix(job.team, job.id)}model.safetensors`)).toBe(
      false,
    );

    const second = await runTrainer(job, { ...env, AWS_BATCH_JOB_ATTEMPT: '2' });

    expect(second.code, second.stderr).toBe(0);
    const done = second.events.find((e) => e.event === 'done') as
      | { steps_this_run: number; resumed_at_step: number }
      | undefined;
    const hyper = second.events.find((e) => e.event === 'hyperparameters') as
      | { total_steps: number }
      | undefined;
    expect(done?.resumed_at_step).toBe(latest.step);
    expect(done?.steps_this_run).toBe((hyper?.total_steps ?? 0) - latest.step);
    expect(await stores.store.exists(`${modelArtifactPrefix(job.team, job.id)}model.safetensors`)).toBe(true);
  });
});

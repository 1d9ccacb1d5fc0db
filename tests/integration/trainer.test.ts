import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkpointPrefix, modelArtifactPrefix } from '#core/jobs/models.ts';
import { parsePeftAdapterConfig } from '#model/soft-prompt.ts';
import {
  objectText,
  runTrainer,
  seedRunningJob,
  seedTeam,
  trainerStores,
  writeTinyModelDir,
} from '#tests/integration/trainer-fixture.ts';

/**
 * The trainer entrypoint as AWS Batch runs it, as a child process against DynamoDB Local and s3rver: it
 * reads the job record, downloads the model and the file, trains, reports, and uploads the artifact.
 */
const stores = trainerStores();
const page = { limit: 100 };

describe('the trainer entrypoint', () => {
  it('Given a running supervised job over an ft: model, when the trainer runs, then it exits 0 with the model directory uploaded, metrics events written and trained tokens recorded', async () => {
    const seeded = await seedTeam(stores);
    const job = await seedRunningJob(stores, seeded, 'supervised', { n_epochs: 2, batch_size: 2 });

    const run = await runTrainer(job, { ATTUNE_METRICS_INTERVAL_MS: '0' });

    expect(run.code, run.stderr).toBe(0);
    const prefix = modelArtifactPrefix(job.team, job.id);
    for (const name of ['config.json', 'model.safetensors', 'tokenizer.json', 'attune_training.json']) {
      expect(await stores.store.exists(prefix + name), name).toBe(true);
    }
    const events = await stores.jobs.listEvents(job.team, job.id, page);
    const metrics = events.filter((e) => e.type === 'metrics');
    expect(metrics.length).toBeGreaterThan(0);
    expect(metrics[0]?.data).toMatchObject({ step: expect.any(Number), train_loss: expect.any(Number) });
    const after = await stores.jobs.get(job.team, job.id);
    expect(after?.trainedTokens).toBeGreaterThan(0);
    // What calibration records once the run is reported succeeded: its speed, on the backend it used.
    expect(after?.measuredRun).toMatchObject({ backend: 'wasm' });
    expect(after?.measuredRun?.tokensPerSecond).toBeGreaterThan(0);
    expect(
      (after?.measuredRun?.trainingSeconds ?? 0) * (after?.measuredRun?.tokensPerSecond ?? 0),
    ).toBeCloseTo(after?.trainedTokens ?? Number.NaN, 3);
    const record = JSON.parse(await objectText(stores, `${prefix}attune_training.json`));
    expect(record).toMatchObject({
      job: job.id,
      method: 'supervised',
      base_model: seeded.model,
      dropped_examples: 0,
      metrics: { steps: 8, trainedTokens: after?.trainedTokens },
    });
  });

  it('Given a running prompt-tuning job over an ft: model (hybrid), when the trainer runs, then it exits 0 with a PEFT adapter naming that model uploaded', async () => {
    const seeded = await seedTeam(stores);
    const job = await seedRunningJob(stores, seeded, 'prompt_tuning', {
      n_epochs: 1,
      batch_size: 4,
      num_virtual_tokens: 4,
    });

    const run = await runTrainer(job);

    expect(run.code, run.stderr).toBe(0);
    const prefix = modelArtifactPrefix(job.team, job.id);
    expect(await stores.store.exists(`${prefix}adapter_model.safetensors`)).toBe(true);
    const adapter = parsePeftAdapterConfig(
      JSON.parse(await objectText(stores, `${prefix}adapter_config.json`)),
    );
    expect(adapter).toMatchObject({ numVirtualTokens: 4, tokenDim: 16, baseModelNameOrPath: seeded.model });
    expect(await stores.store.exists(`${prefix}model.safetensors`)).toBe(false);
    expect(await stores.store.exists(`${checkpointPrefix(job.team, job.id)}latest.json`)).toBe(false);
  });

  it('Given a job id with no job record, when the trainer runs, then it exits non-zero and uploads nothing', async () => {
    const seeded = await seedTeam(stores);
    const missing = { team: seeded.team, id: 'ftjob-doesnotexist' };

    const run = await runTrainer(missing);

    expect(run.code).toBe(1);
    expect(run.events.find((e) => e.event === 'failed')).toMatchObject({ error: 'NotFoundError' });
    expect(
      await stores.store.exists(`${modelArtifactPrefix(missing.team, missing.id)}attune_training.json`),
    ).toBe(false);
  });

  it('Given an environment without a job id, when the trainer starts, then it exits 1 naming the variable', async () => {
    const run = await runTrainer({ team: 'some-team', id: '' });

    expect(run.code).toBe(1);
    expect(run.stderr).toContain('ATTUNE_JOB_ID');
  });
});

describe('the trainer entrypoint with the built-in base model', () => {
  it('Given a job on attune-tiny and ATTUNE_BASE_MODELS_ROOT naming a directory that holds it, when the trainer runs, then it trains that model without downloading one', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'attune-base-models-'));
    try {
      await writeTinyModelDir(path.join(root, 'models', 'attune-tiny'));
      const seeded = await seedTeam(stores);
      const job = await seedRunningJob(stores, { ...seeded, model: 'attune-tiny' }, 'prompt_tuning', {
        n_epochs: 1,
        num_virtual_tokens: 2,
      });

      const run = await runTrainer(job, { ATTUNE_BASE_MODELS_ROOT: root });

      expect(run.code, run.stderr).toBe(0);
      const prefix = modelArtifactPrefix(job.team, job.id);
      const adapter = parsePeftAdapterConfig(
        JSON.parse(await objectText(stores, `${prefix}adapter_config.json`)),
      );
      expect(adapter).toMatchObject({ numVirtualTokens: 2, baseModelNameOrPath: 'attune-tiny' });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('the trainer entrypoint and its checkpoints', () => {
  it('Given ATTUNE_CHECKPOINT_EVERY=3, when a job of 8 steps runs, then checkpoints at steps 3 and 6 are listed and the artifact is uploaded', async () => {
    const seeded = await seedTeam(stores);
    const job = await seedRunningJob(stores, seeded, 'supervised', { n_epochs: 2, batch_size: 2 });

    const run = await runTrainer(job, { ATTUNE_CHECKPOINT_EVERY: '3' });

    expect(run.code, run.stderr).toBe(0);
    const listed = await stores.jobs.listCheckpoints(job.team, job.id, page);
    expect(listed.map((c) => c.stepNumber)).toEqual([6, 3]);
    expect(listed[0]?.metrics.train_loss).toEqual(expect.any(Number));
    for (const c of listed)
      expect(await stores.store.exists(`${c.objectPrefix}training_state.safetensors`)).toBe(true);
  });
});

describe('the trainer entrypoint when an input is gone', () => {
  it('Given a job whose training file was deleted, when the trainer runs, then it exits 1 with a NotFoundError and uploads nothing', async () => {
    const seeded = await seedTeam(stores);
    const job = await seedRunningJob(stores, { ...seeded, file: 'file-deleted' }, 'supervised', {
      n_epochs: 1,
    });

    const run = await runTrainer(job);

    expect(run.code).toBe(1);
    expect(run.events.find((e) => e.event === 'failed')).toMatchObject({ error: 'NotFoundError' });
    expect(await stores.store.exists(`${modelArtifactPrefix(job.team, job.id)}attune_training.json`)).toBe(
      false,
    );
  });
});

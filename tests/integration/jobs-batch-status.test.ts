import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newId } from '#core/ids.ts';
import type { JobRecord } from '#core/jobs/job.ts';
import { handleBatchStatusEvent } from '#events/batch-status-event.ts';
import { jobStores, RecordingDispatcher } from '#tests/integration/jobs-harness.ts';
import { batchEvent, jobRecord } from '#tests/unit/jobs/job-fixtures.ts';

const stores = jobStores();

async function givenJob(overrides: Partial<JobRecord> = {}) {
  const team = `t-${randomUUID().slice(0, 12)}`;
  const id = newId('ftjob');
  const job = jobRecord({
    team,
    id,
    status: 'queued',
    batchJobId: 'batch-1',
    outputModel: `pt:attune-tiny:${team}::${id.slice(6)}`,
    ...overrides,
  });
  await stores.jobs.create(job);
  const dispatcher = new RecordingDispatcher();
  const deps = { ...stores, dispatcher };
  const send = (status: Parameters<typeof batchEvent>[0]['status'], extra = {}) =>
    handleBatchStatusEvent(deps, batchEvent({ status, ...extra }, team, id));
  return { job, team, id, dispatcher, send };
}

const messages = async (team: string, id: string) =>
  (await stores.jobs.listEvents(team, id, { limit: 50 })).map((e) => e.message).reverse();

describe('Batch status handler against DynamoDB Local', () => {
  it('Given a queued prompt tune, when Batch reports it running then succeeded, then it succeeds and its pt: model is registered', async () => {
    const { team, id, job, send } = await givenJob();
    expect(await send('RUNNING')).toBe('applied');
    expect(await send('SUCCEEDED')).toBe('applied');
    const stored = await stores.jobs.get(team, id);
    expect(stored).toMatchObject({ status: 'succeeded', estimatedFinish: null });
    expect(stored?.finishedAt).toEqual(expect.any(Number));
    expect(await stores.models.get(team, job.outputModel)).toMatchObject({
      kind: 'pt',
      baseModel: 'attune-tiny',
      attachesTo: 'attune-tiny',
      jobId: id,
      artifactPrefix: `teams/${team}/models/${id}/`,
    });
    expect(await messages(team, id)).toEqual(['Job started running', 'The job has successfully completed']);
  });

  it('Given a succeeded job, when late RUNNING and RUNNABLE events and a repeated SUCCEEDED arrive, then nothing changes and no event repeats', async () => {
    const { team, id, send } = await givenJob();
    expect(await send('SUCCEEDED')).toBe('applied');
    expect(await send('RUNNING')).toBe('unchanged');
    expect(await send('RUNNABLE')).toBe('unchanged');
    expect(await send('SUCCEEDED')).toBe('unchanged');
    expect((await stores.jobs.get(team, id))?.status).toBe('succeeded');
    expect(await messages(team, id)).toEqual(['The job has successfully completed']);
  });

  it('Given a succeeded job whose model registration was lost, when SUCCEEDED is redelivered, then the model is registered', async () => {
    const { team, job, send } = await givenJob();
    await send('SUCCEEDED');
    await stores.models.delete(team, job.outputModel);
    await send('SUCCEEDED');
    expect(await stores.models.get(team, job.outputModel)).toBeDefined();
  });

  it('Given a running job, when SUCCEEDED is applied, then its model is already registered when the job reads succeeded', async () => {
    const { team, id, job, dispatcher } = await givenJob({ status: 'running' });
    let registeredFirst: boolean | undefined;
    const jobs = Object.assign(Object.create(stores.jobs) as typeof stores.jobs, {
      transition: async (...args: Parameters<typeof stores.jobs.transition>) => {
        registeredFirst = (await stores.models.get(team, job.outputModel)) !== undefined;
        return stores.jobs.transition(...args);
      },
    });
    await handleBatchStatusEvent(
      { ...stores, jobs, dispatcher },
      batchEvent({ status: 'SUCCEEDED' }, team, id),
    );
    expect(registeredFirst).toBe(true);
    expect((await stores.jobs.get(team, id))?.status).toBe('succeeded');
  });

  it('Given a cancel that lands between the success report and its write, then the job stays cancelled and no model is left registered', async () => {
    const { team, id, job, dispatcher } = await givenJob({ status: 'running' });
    const jobs = Object.assign(Object.create(stores.jobs) as typeof stores.jobs, {
      transition: async (...args: Parameters<typeof stores.jobs.transition>) => {
        await stores.jobs.transition(team, id, 'cancelled');
        return stores.jobs.transition(...args);
      },
    });
    await handleBatchStatusEvent(
      { ...stores, jobs, dispatcher },
      batchEvent({ status: 'SUCCEEDED' }, team, id),
    );
    expect((await stores.jobs.get(team, id))?.status).toBe('cancelled');
    expect(await stores.models.get(team, job.outputModel)).toBeUndefined();
  });

  it('Given a running full fine-tune, when Batch reports FAILED, then the job fails with the error and no model', async () => {
    const { team, id, job, send } = await givenJob({
      status: 'running',
      method: {
        type: 'supervised',
        hyperparameters: { n_epochs: 1, batch_size: 1, learning_rate_multiplier: 'auto' },
      },
    });
    await send('FAILED', { statusReason: 'Essential container in task exited', container: { exitCode: 1 } });
    const stored = await stores.jobs.get(team, id);
    expect(stored?.status).toBe('failed');
    expect(stored?.error).toEqual({
      code: 'training_failed',
      message: 'Essential container in task exited (exit code 1)',
      param: null,
    });
    expect(await stores.models.get(team, job.outputModel)).toBeUndefined();
    expect(await messages(team, id)).toEqual([
      'The job failed: Essential container in task exited (exit code 1)',
    ]);
  });

  it('Given a cancelled job, when its run reports RUNNING, then it stays cancelled and the run is terminated', async () => {
    const { team, id, dispatcher, send } = await givenJob({ status: 'cancelled' });
    expect(await send('RUNNING')).toBe('unchanged');
    expect((await stores.jobs.get(team, id))?.status).toBe('cancelled');
    expect(dispatcher.cancelled).toEqual([
      {
        job: { team, id, batchJobId: 'batch-1', status: 'running' },
        reason: 'The Attune job was cancelled before its run started',
      },
    ]);
  });

  it('Given a cancelled job, when Batch reports FAILED for the terminated run, then it stays cancelled and nothing is stopped again', async () => {
    const { team, id, dispatcher, send } = await givenJob({ status: 'cancelled' });
    expect(await send('FAILED', { statusReason: 'Cancelled by the team' })).toBe('unchanged');
    expect((await stores.jobs.get(team, id))?.status).toBe('cancelled');
    expect(dispatcher.cancelled).toEqual([]);
  });

  it('Given a job not yet dispatched, when SUBMITTED arrives first, then it is queued with the Batch job id', async () => {
    const { team, id, send } = await givenJob({ status: 'validating_files', batchJobId: null });
    expect(await send('SUBMITTED', { jobId: 'batch-77' })).toBe('applied');
    expect(await stores.jobs.get(team, id)).toMatchObject({ status: 'queued', batchJobId: 'batch-77' });
  });

  it('Given an event for a job id that does not exist, then nothing is written', async () => {
    const team = `t-${randomUUID().slice(0, 12)}`;
    const dispatcher = new RecordingDispatcher();
    const outcome = await handleBatchStatusEvent(
      { ...stores, dispatcher },
      batchEvent({ status: 'RUNNING' }, team, newId('ftjob')),
    );
    expect(outcome).toBe('unknown_job');
    expect(await stores.jobs.list(team, { limit: 5 })).toEqual([]);
  });

  it('Given a Batch job that is not an Attune job, then it is ignored', async () => {
    const dispatcher = new RecordingDispatcher();
    expect(await handleBatchStatusEvent({ ...stores, dispatcher }, batchEvent({ tags: {} }))).toBe('ignored');
  });
});

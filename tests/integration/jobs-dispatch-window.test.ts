import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { SpendRepository } from '#aws/spend-repository.ts';
import { budgetsFromEnv } from '#core/estimate/budget.ts';
import { InMemoryCalibrationStore } from '#core/estimate/throughput.ts';
import { newId } from '#core/ids.ts';
import { createJob } from '#core/jobs/create-job.ts';
import { DISPATCH_DEADLINE_SECONDS } from '#core/jobs/interrupted-dispatch.ts';
import type { JobRecord, OpenAIJob } from '#core/jobs/job.ts';
import type { JobStore } from '#core/jobs/ports.ts';
import type { ListPage } from '#core/pagination.ts';
import { handleBatchStatusEvent } from '#events/batch-status-event.ts';
import { LocalBatchRunner } from '#local/batch-runner.ts';
import { createJobsHarness } from '#tests/integration/jobs-harness.ts';
import { testClients } from '#tests/test-clients.ts';
import { jobRecord } from '#tests/unit/jobs/job-fixtures.ts';

/**
 * The window between storing a job and submitting its run: a failure inside it fails the job instead of
 * leaving it in `validating_files`; a process that dies inside it leaves a job that the embedded stack's
 * runner dispatches when it resumes, and that the API reports as failed (in AWS, where the scheduled sweep
 * records it: jobs-dispatch-sweep.test.ts) once no create request can still be dispatching it.
 */
const h = createJobsHarness();
const runners: LocalBatchRunner[] = [];
afterEach(() => h.cleanup());
afterAll(async () => {
  for (const runner of runners) await runner.close();
});

type Auth = { authorization: string };

/** A job as a create request leaves it when its process dies right after the write. */
async function strandedJob(team: string, ageSeconds: number): Promise<JobRecord> {
  const id = newId('ftjob');
  const job = jobRecord({
    team,
    id,
    createdAt: Math.floor(Date.now() / 1000) - ageSeconds,
    status: 'validating_files',
    batchJobId: null,
    outputModel: `pt:attune-tiny:${team}::${id.slice(6)}`,
  });
  await h.stores.jobs.create(job);
  return job;
}

async function retrieve(auth: Auth, id: string): Promise<OpenAIJob> {
  return (await (await h.get(`/v1/fine_tuning/jobs/${id}`, auth)).json()) as OpenAIJob;
}

describe('a job whose create request died before dispatch', () => {
  it('Given it is older than the dispatch deadline, when retrieved, then it is reported failed with dispatch_interrupted and cost nothing', async () => {
    const { team, auth } = await h.team();
    const job = await strandedJob(team, DISPATCH_DEADLINE_SECONDS + 60);
    const read = await retrieve(auth, job.id);
    expect(read).toMatchObject({ status: 'failed', actual_cost_usd: 0 });
    expect(read.error).toMatchObject({ code: 'dispatch_interrupted' });
  });

  it('Given it is older than the dispatch deadline, when retrieved and listed, then nothing is written: the sweep records the failure', async () => {
    const { team, auth } = await h.team();
    const job = await strandedJob(team, DISPATCH_DEADLINE_SECONDS + 60);
    await retrieve(auth, job.id);
    await h.get('/v1/fine_tuning/jobs', auth);
    expect((await h.stores.jobs.get(team, job.id))?.status).toBe('validating_files');
    expect(await h.stores.jobs.listEvents(team, job.id, { limit: 10 })).toEqual([]);
  });

  it('Given it is older than the dispatch deadline, when listed, then it lists as failed', async () => {
    const { team, auth } = await h.team();
    const job = await strandedJob(team, DISPATCH_DEADLINE_SECONDS + 60);
    const page = (await (await h.get('/v1/fine_tuning/jobs', auth)).json()) as ListPage<OpenAIJob>;
    expect(page.data.map((j) => [j.id, j.status])).toEqual([[job.id, 'failed']]);
  });

  it('Given its create may still be dispatching it, when retrieved, then it is left validating_files', async () => {
    const { team, auth } = await h.team();
    const job = await strandedJob(team, 5);
    expect((await retrieve(auth, job.id)).status).toBe('validating_files');
  });

  it('Given the embedded stack restarts, when its runner resumes, then the job is dispatched and runs to the end', async () => {
    const { team, auth } = await h.team();
    const job = await strandedJob(team, 5);
    const runner: LocalBatchRunner = new LocalBatchRunner({
      command: [process.execPath, '-e', 'process.exit(0)'],
      env: {},
      onEvent: (event) => handleBatchStatusEvent({ ...h.stores, dispatcher: runner }, event),
    });
    runners.push(runner);
    runner.resume((await h.stores.jobs.listActive()).filter((j) => j.team === team));
    await runner.idle();
    const read = await retrieve(auth, job.id);
    expect(read.status).toBe('succeeded');
    expect(read.batch_job_id).toMatch(/^local-/);
  });
});

describe('a failure between storing a job and submitting it', () => {
  it('Given the event write fails after the job is stored, then the create fails, the job is failed (not validating_files) and Batch is not called', async () => {
    const { team } = await h.team();
    const file = await h.file(team);
    const jobs: JobStore = Object.assign(Object.create(h.stores.jobs) as JobStore, {
      addEvent: async () => {
        throw new Error('DynamoDB throttled the event write');
      },
    });
    const deps = {
      jobs,
      models: h.stores.models,
      dispatcher: h.dispatcher,
      estimates: {
        getFile: (t: string, id: string) => h.deps.files.get(t, id),
        calibration: new InMemoryCalibrationStore(),
        budgets: budgetsFromEnv({}),
        spend: new SpendRepository(testClients().dynamo, h.config.tableName),
      },
    };
    const request = {
      model: 'attune-tiny',
      trainingFile: file,
      validationFile: null,
      method: {
        type: 'prompt_tuning' as const,
        hyperparameters: { n_epochs: 1, batch_size: 4, learning_rate_multiplier: 'auto' as const },
      },
      suffix: null,
      seed: 1,
      metadata: null,
    };
    await expect(createJob(deps, team, request)).rejects.toThrow('DynamoDB throttled');
    const [stored] = await h.stores.jobs.list(team, { limit: 10 });
    expect(stored).toMatchObject({ status: 'failed', error: { code: 'dispatch_failed' } });
    expect(stored?.actualCost).toMatchObject({ cost_usd: 0 });
    expect(h.dispatcher.submitted.filter((s) => s.job.team === team)).toEqual([]);
    expect(await deps.estimates.spend.spent(team, new Date().toISOString().slice(0, 7))).toBeCloseTo(0, 9);
  });
});

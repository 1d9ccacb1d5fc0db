import { describe, expect, it } from 'vitest';
import { NotFoundError } from '#core/errors.ts';
import { DISPATCH_DEADLINE_SECONDS } from '#core/jobs/interrupted-dispatch.ts';
import type { JobRecord } from '#core/jobs/job.ts';
import { getJob, listJobCheckpoints, listJobEvents, listJobs } from '#core/jobs/job-queries.ts';
import { InMemoryJobStore } from '#tests/unit/jobs/in-memory-job-store.ts';
import { jobEstimate, jobRecord } from '#tests/unit/jobs/job-fixtures.ts';

const TEAM = 'sales';
const CREATED = 1_795_900_000;
const STRANDED_ID = 'ftjob-01jab000000000000000000001';

/** A job stored but never dispatched: in validating_files without a Batch job id. */
const stranded = (overrides: Partial<JobRecord> = {}) =>
  jobRecord({
    id: STRANDED_ID,
    createdAt: CREATED,
    status: 'validating_files',
    batchJobId: null,
    estimate: jobEstimate(),
    ...overrides,
  });

/** Job queries over `jobs`, with the clock `secondsAfterCreation` after they were created. */
function queries(jobs: readonly JobRecord[], secondsAfterCreation: number) {
  const store = new InMemoryJobStore(jobs);
  return { store, deps: { jobs: store, now: () => (CREATED + secondsAfterCreation) * 1000 } };
}

describe('getJob', () => {
  it('Given a job stranded past the dispatch deadline, then it is reported failed as dispatch_interrupted', async () => {
    const { deps } = queries([stranded()], DISPATCH_DEADLINE_SECONDS);
    const job = await getJob(deps, TEAM, STRANDED_ID);
    expect(job).toMatchObject({
      status: 'failed',
      error: { code: 'dispatch_interrupted', param: null },
      finishedAt: CREATED + DISPATCH_DEADLINE_SECONDS,
      estimatedFinish: null,
    });
  });

  it('Given a job stranded past the deadline, then its reported actual cost is zero', async () => {
    const { deps } = queries([stranded()], DISPATCH_DEADLINE_SECONDS + 3600);
    const job = await getJob(deps, TEAM, STRANDED_ID);
    expect(job.actualCost).toMatchObject({ wall_seconds: 0, cost_usd: 0, attempts: 0 });
  });

  it('Given a job stranded past the deadline, then reading it writes nothing', async () => {
    const { deps, store } = queries([stranded()], DISPATCH_DEADLINE_SECONDS + 3600);
    await getJob(deps, TEAM, STRANDED_ID);
    expect(store.writes).toEqual([]);
    expect(await store.get(TEAM, STRANDED_ID)).toEqual(stranded());
  });

  it('Given a stranded job still inside the deadline, then it is reported as stored', async () => {
    const { deps } = queries([stranded()], DISPATCH_DEADLINE_SECONDS - 1);
    expect(await getJob(deps, TEAM, STRANDED_ID)).toEqual(stranded());
  });

  it('Given a job past the deadline that has a Batch job id, then it is reported as stored', async () => {
    const dispatched = stranded({ batchJobId: 'batch-1' });
    const { deps } = queries([dispatched], DISPATCH_DEADLINE_SECONDS + 3600);
    expect(await getJob(deps, TEAM, STRANDED_ID)).toEqual(dispatched);
  });

  it('Given a queued job past the deadline, then it is reported as stored', async () => {
    const queued = stranded({ status: 'queued' });
    const { deps } = queries([queued], DISPATCH_DEADLINE_SECONDS + 3600);
    expect(await getJob(deps, TEAM, STRANDED_ID)).toEqual(queued);
  });

  it('Given no such job, then 404 naming fine_tuning_job_id', async () => {
    const { deps } = queries([], 0);
    const failed = getJob(deps, TEAM, STRANDED_ID);
    await expect(failed).rejects.toBeInstanceOf(NotFoundError);
    await expect(failed).rejects.toMatchObject({ param: 'fine_tuning_job_id' });
  });

  it("Given another team's job, then the same 404", async () => {
    const { deps } = queries([stranded({ team: 'support' })], 0);
    await expect(getJob(deps, TEAM, STRANDED_ID)).rejects.toMatchObject({ statusCode: 404 });
  });
});

describe('listJobs', () => {
  const running = jobRecord({
    id: 'ftjob-01jab000000000000000000002',
    status: 'running',
    createdAt: CREATED,
  });

  it('Given a stranded job past the deadline beside a running one, then only the stranded one is reported failed', async () => {
    const { deps } = queries([stranded(), running], DISPATCH_DEADLINE_SECONDS);
    const jobs = await listJobs(deps, TEAM, { limit: 10 });
    expect(jobs.map((j) => [j.id, j.status, j.error?.code ?? null])).toEqual([
      [running.id, 'running', null],
      [STRANDED_ID, 'failed', 'dispatch_interrupted'],
    ]);
  });

  it('Given a stranded job past the deadline, then listing writes nothing', async () => {
    const { deps, store } = queries([stranded(), running], DISPATCH_DEADLINE_SECONDS + 3600);
    await listJobs(deps, TEAM, { limit: 10 });
    expect(store.writes).toEqual([]);
  });

  it('Given jobs inside the deadline, then they are listed as stored', async () => {
    const { deps } = queries([stranded(), running], 10);
    expect(await listJobs(deps, TEAM, { limit: 10 })).toEqual([running, stranded()]);
  });
});

describe('listJobEvents and listJobCheckpoints', () => {
  it("Given the team's job, then its events, newest first", async () => {
    const { deps, store } = queries([stranded()], 0);
    for (const id of ['ftevent-1', 'ftevent-2']) {
      await store.addEvent(TEAM, {
        id,
        jobId: STRANDED_ID,
        createdAt: CREATED,
        level: 'info',
        message: id,
        type: 'message',
        data: null,
      });
    }
    const events = await listJobEvents(deps, TEAM, STRANDED_ID, { limit: 10 });
    expect(events.map((e) => e.id)).toEqual(['ftevent-2', 'ftevent-1']);
  });

  it('Given no such job, then listing its events is a 404', async () => {
    const { deps } = queries([], 0);
    await expect(listJobEvents(deps, TEAM, STRANDED_ID, { limit: 10 })).rejects.toMatchObject({
      statusCode: 404,
      param: 'fine_tuning_job_id',
    });
  });

  it("Given the team's job, then its checkpoints come with the job", async () => {
    const { deps } = queries([stranded()], 0);
    const page = await listJobCheckpoints(deps, TEAM, STRANDED_ID, { limit: 10 });
    expect(page).toEqual({ job: stranded(), checkpoints: [] });
  });

  it("Given another team's job, then listing its checkpoints is a 404", async () => {
    const { deps } = queries([stranded({ team: 'support' })], 0);
    await expect(listJobCheckpoints(deps, TEAM, STRANDED_ID, { limit: 10 })).rejects.toMatchObject({
      statusCode: 404,
      param: 'fine_tuning_job_id',
    });
  });
});

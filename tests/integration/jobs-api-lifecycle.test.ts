import { afterEach, describe, expect, it } from 'vitest';
import { newId } from '#core/ids.ts';
import type { OpenAIJob } from '#core/jobs/job.ts';
import type { OpenAIJobCheckpoint, OpenAIJobEvent } from '#core/jobs/job-events.ts';
import type { ListPage } from '#core/pagination.ts';
import { handleBatchStatusEvent } from '#events/batch-status-event.ts';
import { errorOf } from '#tests/integration/http-harness.ts';
import { createJobsHarness } from '#tests/integration/jobs-harness.ts';
import { batchEvent } from '#tests/unit/jobs/job-fixtures.ts';

const h = createJobsHarness();
afterEach(() => h.cleanup());

type Auth = { authorization: string };

async function createJob(team: string, auth: Auth, extra: Record<string, unknown> = {}): Promise<OpenAIJob> {
  const file = await h.file(team);
  const res = await h.post('/v1/fine_tuning/jobs', auth, {
    model: 'attune-tiny',
    training_file: file,
    method: { type: 'prompt_tuning' },
    ...extra,
  });
  expect(res.status).toBe(200);
  return (await res.json()) as OpenAIJob;
}

async function page<T extends { id: string }>(auth: Auth, path: string): Promise<ListPage<T>> {
  const res = await h.get(path, auth);
  expect(res.status).toBe(200);
  return (await res.json()) as ListPage<T>;
}

/** What AWS Batch would report for the job's run, through the status handler. */
function batchReports(team: string, job: OpenAIJob, status: 'RUNNING' | 'SUCCEEDED' | 'FAILED') {
  return handleBatchStatusEvent(
    { ...h.stores, dispatcher: h.dispatcher },
    batchEvent({ status, jobId: job.batch_job_id ?? 'none' }, team, job.id),
  );
}

const cancel = (auth: Auth, id: string) => h.post(`/v1/fine_tuning/jobs/${id}/cancel`, auth, {});

describe('GET /v1/fine_tuning/jobs', () => {
  it('Given three jobs, when listed one at a time, then newest first with has_more until the last', async () => {
    const { team, auth } = await h.team();
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await createJob(team, auth)).id);
    const newest = ids.reverse();
    const first = await page<OpenAIJob>(auth, '/v1/fine_tuning/jobs?limit=1');
    expect(first).toMatchObject({ object: 'list', has_more: true, first_id: newest[0], last_id: newest[0] });
    const second = await page<OpenAIJob>(auth, `/v1/fine_tuning/jobs?limit=1&after=${newest[0]}`);
    expect(second.data.map((j) => j.id)).toEqual([newest[1]]);
    const last = await page<OpenAIJob>(auth, `/v1/fine_tuning/jobs?limit=5&after=${newest[1]}`);
    expect(last).toMatchObject({ has_more: false, data: [{ id: newest[2] }] });
  });

  it('Given jobs with metadata, when filtered with metadata[k]=v, then only matching jobs list', async () => {
    const { team, auth } = await h.team();
    const faq = await createJob(team, auth, { metadata: { project: 'faq' } });
    await createJob(team, auth, { metadata: { project: 'legal' } });
    const listed = await page<OpenAIJob>(auth, '/v1/fine_tuning/jobs?metadata[project]=faq');
    expect(listed.data.map((j) => j.id)).toEqual([faq.id]);
    expect(listed.data[0]?.metadata).toEqual({ project: 'faq' });
  });

  it("Given another team's jobs, when listed, then none of them appear", async () => {
    const owner = await h.team();
    await createJob(owner.team, owner.auth);
    const { auth } = await h.team();
    expect((await page<OpenAIJob>(auth, '/v1/fine_tuning/jobs')).data).toEqual([]);
  });

  it.each([
    ['after=file-x', 'after'],
    ['limit=0', 'limit'],
  ])('Given %s, then 400 naming %s', async (query, param) => {
    const { auth } = await h.team();
    const res = await h.get(`/v1/fine_tuning/jobs?${query}`, auth);
    expect(res.status).toBe(400);
    expect((await errorOf(res)).param).toBe(param);
  });
});

describe('GET /v1/fine_tuning/jobs/{id}', () => {
  it.each(['ftjob-nope', `ftjob-${'0'.repeat(26)}`])('Given %s, then 404', async (id) => {
    const { auth } = await h.team();
    expect((await h.get(`/v1/fine_tuning/jobs/${id}`, auth)).status).toBe(404);
  });

  it("Given another team's job, then 404", async () => {
    const owner = await h.team();
    const job = await createJob(owner.team, owner.auth);
    const { auth } = await h.team();
    const res = await h.get(`/v1/fine_tuning/jobs/${job.id}`, auth);
    expect(res.status).toBe(404);
    expect((await errorOf(res)).message).toBe(`No such fine-tuning job: ${job.id}`);
  });

  it('Given the run succeeded, then the job names its fine-tuned model and its finish time', async () => {
    const { team, auth } = await h.team();
    const job = await createJob(team, auth, { suffix: 'v1' });
    await batchReports(team, job, 'RUNNING');
    await batchReports(team, job, 'SUCCEEDED');
    const done = (await (await h.get(`/v1/fine_tuning/jobs/${job.id}`, auth)).json()) as OpenAIJob;
    expect(done.status).toBe('succeeded');
    expect(done.fine_tuned_model).toBe(`pt:attune-tiny:${team}:v1:${job.id.slice(6)}`);
    expect(done.finished_at).toEqual(expect.any(Number));
  });
});

describe('POST /v1/fine_tuning/jobs/{id}/cancel', () => {
  it('Given a queued job, when cancelled, then it is cancelled and its Batch job is cancelled (not terminated)', async () => {
    const { team, auth } = await h.team();
    const job = await createJob(team, auth);
    const res = await cancel(auth, job.id);
    expect(res.status).toBe(200);
    expect(((await res.json()) as OpenAIJob).status).toBe('cancelled');
    expect(h.dispatcher.cancelled.filter((c) => c.job.id === job.id)).toEqual([
      {
        job: { team, id: job.id, batchJobId: job.batch_job_id, status: 'queued' },
        reason: 'Cancelled by the team through the Attune API',
      },
    ]);
  });

  it('Given a running job, when cancelled, then its Batch job is terminated', async () => {
    const { team, auth } = await h.team();
    const job = await createJob(team, auth);
    await batchReports(team, job, 'RUNNING');
    await cancel(auth, job.id);
    expect(h.dispatcher.cancelled.find((c) => c.job.id === job.id)?.job.status).toBe('running');
  });

  it('Given a cancelled job, when its run later succeeds, then it stays cancelled', async () => {
    const { team, auth } = await h.team();
    const job = await createJob(team, auth);
    await cancel(auth, job.id);
    await batchReports(team, job, 'SUCCEEDED');
    const after = (await (await h.get(`/v1/fine_tuning/jobs/${job.id}`, auth)).json()) as OpenAIJob;
    expect(after).toMatchObject({ status: 'cancelled', fine_tuned_model: null });
  });

  it('Given a cancelled job, when cancelled again, then 200 and the stop is asked for again', async () => {
    const { team, auth } = await h.team();
    const job = await createJob(team, auth);
    await cancel(auth, job.id);
    const again = await cancel(auth, job.id);
    expect(again.status).toBe(200);
    expect(h.dispatcher.cancelled.filter((c) => c.job.id === job.id)).toHaveLength(2);
  });

  it.each(['SUCCEEDED', 'FAILED'] as const)(
    'Given a job whose run ended %s, when cancelled, then 409 and Batch is not called',
    async (outcome) => {
      const { team, auth } = await h.team();
      const job = await createJob(team, auth);
      await batchReports(team, job, outcome);
      const res = await cancel(auth, job.id);
      expect(res.status).toBe(409);
      expect(await errorOf(res)).toMatchObject({ code: 'job_already_finished' });
      expect(h.dispatcher.cancelled.filter((c) => c.job.id === job.id)).toEqual([]);
    },
  );

  it("Given another team's job, when cancelled, then 404 and it keeps running", async () => {
    const owner = await h.team();
    const job = await createJob(owner.team, owner.auth);
    const { auth } = await h.team();
    expect((await cancel(auth, job.id)).status).toBe(404);
    expect((await h.stores.jobs.get(owner.team, job.id))?.status).toBe('queued');
  });
});

describe('GET /v1/fine_tuning/jobs/{id}/events and /checkpoints', () => {
  it('Given a job that ran and succeeded, then its events list newest first', async () => {
    const { team, auth } = await h.team();
    const job = await createJob(team, auth);
    await batchReports(team, job, 'RUNNING');
    await batchReports(team, job, 'SUCCEEDED');
    const events = await page<OpenAIJobEvent>(auth, `/v1/fine_tuning/jobs/${job.id}/events`);
    expect(events.data.map((e) => e.message)).toEqual([
      'The job has successfully completed',
      'Job started running',
      'Job queued',
      `Created fine-tuning job: ${job.id}`,
    ]);
    expect(events.data[0]).toMatchObject({ object: 'fine_tuning.job.event', level: 'info', type: 'message' });
    const older = await page<OpenAIJobEvent>(
      auth,
      `/v1/fine_tuning/jobs/${job.id}/events?limit=2&after=${events.data[1]?.id}`,
    );
    expect(older.data.map((e) => e.message)).toEqual(['Job queued', `Created fine-tuning job: ${job.id}`]);
  });

  it('Given checkpoints the trainer recorded, then they list newest first with their model names', async () => {
    const { team, auth } = await h.team();
    const job = await createJob(team, auth);
    const stored = await h.stores.jobs.get(team, job.id);
    for (const step of [10, 20]) {
      await h.stores.jobs.addCheckpoint(team, {
        id: newId('ftckpt'),
        jobId: job.id,
        createdAt: step,
        stepNumber: step,
        metrics: { step, train_loss: 2 / step },
        objectPrefix: `teams/${team}/checkpoints/${job.id}/step-${step}/`,
      });
      await new Promise((r) => setTimeout(r, 2));
    }
    const listed = await page<OpenAIJobCheckpoint>(auth, `/v1/fine_tuning/jobs/${job.id}/checkpoints`);
    expect(listed.data.map((c) => c.fine_tuned_model_checkpoint)).toEqual([
      `${stored?.outputModel}:ckpt-step-20`,
      `${stored?.outputModel}:ckpt-step-10`,
    ]);
  });

  it.each(['events', 'checkpoints'])(
    "Given another team's job, when its %s are read, then 404",
    async (what) => {
      const owner = await h.team();
      const job = await createJob(owner.team, owner.auth);
      const { auth } = await h.team();
      expect((await h.get(`/v1/fine_tuning/jobs/${job.id}/${what}`, auth)).status).toBe(404);
    },
  );

  it('Given an after that is not an event id, then 400', async () => {
    const { team, auth } = await h.team();
    const job = await createJob(team, auth);
    const res = await h.get(`/v1/fine_tuning/jobs/${job.id}/events?after=ftjob-x`, auth);
    expect(res.status).toBe(400);
  });
});

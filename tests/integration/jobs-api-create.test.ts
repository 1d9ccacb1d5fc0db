import { afterEach, describe, expect, it } from 'vitest';
import type { OpenAIJob } from '#core/jobs/job.ts';
import type { ListPage } from '#core/pagination.ts';
import { createApp } from '#http/app.ts';
import { errorOf } from '#tests/integration/http-harness.ts';
import { createJobsHarness } from '#tests/integration/jobs-harness.ts';

const h = createJobsHarness();
afterEach(() => h.cleanup());

const promptTuning = (trainingFile: string, extra: Record<string, unknown> = {}) => ({
  model: 'attune-tiny',
  training_file: trainingFile,
  method: {
    type: 'prompt_tuning',
    prompt_tuning: { hyperparameters: { n_epochs: 2, num_virtual_tokens: 8 } },
  },
  suffix: 'faq',
  ...extra,
});

async function jobsOf(auth: { authorization: string }): Promise<OpenAIJob[]> {
  const res = await h.get('/v1/fine_tuning/jobs?limit=100', auth);
  return ((await res.json()) as ListPage<OpenAIJob>).data;
}

/** The bad-input contract: a clear 4xx, and neither a job nor a Batch call. */
async function expectRefused(
  res: Response,
  who: { team: string; auth: { authorization: string } },
  status: number,
  expected: { param?: string; code?: string },
) {
  expect(res.status).toBe(status);
  expect(await errorOf(res)).toMatchObject(expected);
  expect(await jobsOf(who.auth)).toEqual([]);
  expect(h.dispatcher.submitted.filter((s) => s.job.team === who.team)).toEqual([]);
}

describe('POST /v1/fine_tuning/jobs', () => {
  it('Given a processed file, when a prompt tune of the base model is created, then it is queued on the CPU queue with its estimate', async () => {
    const { team, auth } = await h.team();
    const file = await h.file(team);
    const res = await h.post('/v1/fine_tuning/jobs', auth, promptTuning(file));
    expect(res.status).toBe(200);
    const job = (await res.json()) as OpenAIJob;
    const submitted = h.dispatcher.submitted.find((s) => s.job.id === job.id);
    expect(job).toMatchObject({
      object: 'fine_tuning.job',
      status: 'queued',
      model: 'attune-tiny',
      training_file: file,
      fine_tuned_model: null,
      organization_id: team,
      user_provided_suffix: 'faq',
      batch_job_id: submitted?.batchJobId,
      queue: { kind: 'cpu' },
      method: {
        type: 'prompt_tuning',
        prompt_tuning: { hyperparameters: { n_epochs: 2, num_virtual_tokens: 8 } },
      },
    });
    expect(job.estimate).toMatchObject({ method: 'prompt_tuning', training_tokens: expect.any(Number) });
    expect(job.estimate?.cost_usd.on_demand).toBeGreaterThan(0);
    // The embedded stack predicts the finish from the run's time on this machine.
    const localSeconds = (job.estimate as { local_wall_clock_seconds: number }).local_wall_clock_seconds;
    expect(localSeconds).toBeGreaterThan(0);
    expect(Math.abs((job.estimated_finish as number) - (job.created_at + localSeconds))).toBeLessThanOrEqual(
      1,
    );
    expect(submitted?.plan.queue).toBe('cpu');
    expect(await (await h.get(`/v1/fine_tuning/jobs/${job.id}`, auth)).json()).toEqual(job);
  });

  it('Given a supervised job, when created, then it goes to the GPU queue', async () => {
    const { team, auth } = await h.team();
    const file = await h.file(team);
    const res = await h.post('/v1/fine_tuning/jobs', auth, { model: 'attune-tiny', training_file: file });
    const job = (await res.json()) as OpenAIJob;
    expect(job.method.type).toBe('supervised');
    expect(job.queue?.kind).toBe('gpu');
    expect(h.dispatcher.submitted.at(-1)?.plan).toMatchObject({ queue: 'gpu', gpus: 1 });
  });

  it("Given one of the team's ft: models, when a prompt tune over it is created, then it is a hybrid job on that model", async () => {
    const { team, auth } = await h.team();
    const file = await h.file(team);
    const ft = await h.model(team, 'ft');
    const res = await h.post('/v1/fine_tuning/jobs', auth, promptTuning(file, { model: ft }));
    expect(res.status).toBe(200);
    const job = (await res.json()) as OpenAIJob;
    expect(job.model).toBe(ft);
    const stored = await h.stores.jobs.get(team, job.id);
    expect(stored?.outputModel).toBe(`pt:attune-tiny:${team}:faq:${job.id.slice(6)}`);
  });

  it('Given an Idempotency-Key, when the create is retried, then the first job returns and Batch is called once', async () => {
    const { team, auth } = await h.team();
    const file = await h.file(team);
    const key = { 'idempotency-key': `k-${team}` };
    const first = (await (
      await h.post('/v1/fine_tuning/jobs', auth, promptTuning(file), key)
    ).json()) as OpenAIJob;
    const retry = await h.post('/v1/fine_tuning/jobs', auth, promptTuning(file), key);
    expect(retry.status).toBe(200);
    expect(((await retry.json()) as OpenAIJob).id).toBe(first.id);
    expect(h.dispatcher.submitted.filter((s) => s.job.team === team)).toHaveLength(1);
    expect(await jobsOf(auth)).toHaveLength(1);
  });

  it('Given an Idempotency-Key already used, when a different request reuses it, then 409 and no second job', async () => {
    const { team, auth } = await h.team();
    const file = await h.file(team);
    const key = { 'idempotency-key': `k-${team}` };
    await h.post('/v1/fine_tuning/jobs', auth, promptTuning(file), key);
    const res = await h.post('/v1/fine_tuning/jobs', auth, promptTuning(file, { suffix: 'other' }), key);
    expect(res.status).toBe(409);
    expect(await errorOf(res)).toMatchObject({ code: 'idempotency_key_reused' });
    expect(await jobsOf(auth)).toHaveLength(1);
  });
});

describe('POST /v1/fine_tuning/jobs with bad input: a 4xx, no job, no Batch call', () => {
  it('Given an unknown training file, then 404 naming training_file', async () => {
    const { team, auth } = await h.team();
    const res = await h.post('/v1/fine_tuning/jobs', auth, promptTuning(`file-${'0'.repeat(26)}`));
    await expectRefused(res, { team, auth }, 404, { param: 'training_file' });
  });

  it("Given another team's processed file, then the same 404 as a file that does not exist", async () => {
    const owner = await h.team();
    const { team, auth } = await h.team();
    const file = await h.file(owner.team);
    const res = await h.post('/v1/fine_tuning/jobs', auth, promptTuning(file));
    await expectRefused(res, { team, auth }, 404, { param: 'training_file', code: 'file_not_found' });
  });

  it('Given a file still being processed, then 400 file_not_processed', async () => {
    const { team, auth } = await h.team();
    const file = await h.file(team, { status: 'uploaded' });
    const res = await h.post('/v1/fine_tuning/jobs', auth, promptTuning(file));
    await expectRefused(res, { team, auth }, 400, { param: 'training_file', code: 'file_not_processed' });
  });

  it('Given a file that failed validation, then 400 saying so', async () => {
    const { team, auth } = await h.team();
    const file = await h.file(team, { status: 'error', statusDetails: 'line 3: invalid_json' });
    const res = await h.post('/v1/fine_tuning/jobs', auth, promptTuning(file));
    await expectRefused(res, { team, auth }, 400, { param: 'training_file', code: 'file_not_processed' });
  });

  it('Given an unprocessed validation file, then 400 naming validation_file', async () => {
    const { team, auth } = await h.team();
    const file = await h.file(team);
    const validation = await h.file(team, { status: 'uploaded' });
    const res = await h.post(
      '/v1/fine_tuning/jobs',
      auth,
      promptTuning(file, { validation_file: validation }),
    );
    await expectRefused(res, { team, auth }, 400, { param: 'validation_file' });
  });

  it('Given an unknown model, then 404 model_not_found', async () => {
    const { team, auth } = await h.team();
    const file = await h.file(team);
    const res = await h.post('/v1/fine_tuning/jobs', auth, promptTuning(file, { model: 'gpt-4o' }));
    await expectRefused(res, { team, auth }, 404, { param: 'model', code: 'model_not_found' });
  });

  it("Given another team's ft: model, then the same 404", async () => {
    const owner = await h.team();
    const { team, auth } = await h.team();
    const file = await h.file(team);
    const ft = await h.model(owner.team, 'ft');
    const res = await h.post('/v1/fine_tuning/jobs', auth, promptTuning(file, { model: ft }));
    await expectRefused(res, { team, auth }, 404, { param: 'model', code: 'model_not_found' });
  });

  it('Given an ft: model, when a supervised job names it, then 400 model_not_tunable', async () => {
    const { team, auth } = await h.team();
    const file = await h.file(team);
    const ft = await h.model(team, 'ft');
    const res = await h.post('/v1/fine_tuning/jobs', auth, { model: ft, training_file: file });
    await expectRefused(res, { team, auth }, 400, { param: 'model', code: 'model_not_tunable' });
  });

  it('Given a bad hyperparameter, then 400 naming the field', async () => {
    const { team, auth } = await h.team();
    const file = await h.file(team);
    const res = await h.post('/v1/fine_tuning/jobs', auth, {
      model: 'attune-tiny',
      training_file: file,
      method: { type: 'supervised', supervised: { hyperparameters: { n_epochs: 0 } } },
    });
    await expectRefused(res, { team, auth }, 400, { param: 'method.supervised.hyperparameters.n_epochs' });
  });

  it('Given an unknown method, then 400 naming method.type', async () => {
    const { team, auth } = await h.team();
    const file = await h.file(team);
    const res = await h.post('/v1/fine_tuning/jobs', auth, {
      model: 'attune-tiny',
      training_file: file,
      method: { type: 'dpo' },
    });
    await expectRefused(res, { team, auth }, 400, { param: 'method.type' });
  });

  it('Given a body that is not JSON, then 400 invalid_json', async () => {
    const { team, auth } = await h.team();
    await expectRefused(await h.post('/v1/fine_tuning/jobs', auth, '{"model":'), { team, auth }, 400, {
      code: 'invalid_json',
    });
  });

  it('Given a malformed Idempotency-Key, then 400 naming it', async () => {
    const { team, auth } = await h.team();
    const file = await h.file(team);
    const res = await h.post('/v1/fine_tuning/jobs', auth, promptTuning(file), { 'idempotency-key': 'a b' });
    await expectRefused(res, { team, auth }, 400, { param: 'Idempotency-Key' });
  });
});

describe('POST /v1/fine_tuning/jobs when dispatch is impossible', () => {
  it('Given Batch refuses the job, then 500 and the job is recorded failed with dispatch_failed', async () => {
    const { team, auth } = await h.team();
    const file = await h.file(team);
    h.dispatcher.failNext(new Error('queue disabled'));
    const res = await h.post('/v1/fine_tuning/jobs', auth, promptTuning(file));
    expect(res.status).toBe(500);
    const [job] = await jobsOf(auth);
    expect(job?.status).toBe('failed');
    expect(job?.error).toMatchObject({
      code: 'dispatch_failed',
      message: expect.stringContaining('queue disabled'),
    });
  });

  it('Given no training backend is configured, then 503 and no job', async () => {
    const app = createApp(h.deps);
    const { team, auth } = await h.team();
    const file = await h.file(team);
    const res = await app.request('/v1/fine_tuning/jobs', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify(promptTuning(file)),
    });
    expect(res.status).toBe(503);
    expect(await errorOf(res)).toMatchObject({ code: 'training_unavailable' });
    expect(await jobsOf(auth)).toEqual([]);
  });
});

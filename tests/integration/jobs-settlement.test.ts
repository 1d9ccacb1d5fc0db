import { afterEach, describe, expect, it } from 'vitest';
import { CalibrationRepository } from '#aws/calibration-repository.ts';
import { SpendRepository } from '#aws/spend-repository.ts';
import type { MeasuredRun, OpenAIJob } from '#core/jobs/job.ts';
import { handleBatchStatusEvent } from '#events/batch-status-event.ts';
import { createJobsHarness } from '#tests/integration/jobs-harness.ts';
import { testClients, testConfig } from '#tests/test-clients.ts';
import { batchEvent } from '#tests/unit/jobs/job-fixtures.ts';

/**
 * A finished job's feedback against DynamoDB Local: its actual cost on the job, the team's spend ledger
 * corrected from the estimate to that cost (once, however often Batch redelivers), and its measured
 * throughput recorded so that the estimator uses the median once a bucket has three runs.
 */
const h = createJobsHarness();
afterEach(() => h.cleanup());

const config = testConfig();
const { dynamo } = testClients();
const spend = new SpendRepository(dynamo, config.tableName);
const calibration = new CalibrationRepository(dynamo, config.tableName);
const statusDeps = { ...h.stores, dispatcher: h.dispatcher, spend, calibration };

type Auth = { authorization: string };

async function createJob(
  team: string,
  auth: Auth,
  file?: string,
  method: 'prompt_tuning' | 'supervised' = 'prompt_tuning',
): Promise<OpenAIJob> {
  const res = await h.post('/v1/fine_tuning/jobs', auth, {
    model: 'attune-tiny',
    training_file: file ?? (await h.file(team)),
    method: { type: method },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as OpenAIJob;
}

async function retrieve(auth: Auth, id: string): Promise<OpenAIJob> {
  return (await (await h.get(`/v1/fine_tuning/jobs/${id}`, auth)).json()) as OpenAIJob;
}

type Throughput = { tokens_per_second: number; source: string; detail: string };

interface EstimateBody {
  budget: { spent_usd: number };
  methods: Record<'prompt_tuning' | 'supervised', { plan: { throughput: Throughput } }>;
}

async function estimateFor(auth: Auth, file: string, method = 'prompt_tuning'): Promise<EstimateBody> {
  const res = await h.post('/v1/estimates', auth, {
    model: 'attune-tiny',
    training_file: file,
    methods: [method],
  });
  expect(res.status).toBe(200);
  return (await res.json()) as EstimateBody;
}

/** What the trainer and AWS Batch report for a run that took `seconds` and measured `measured`. */
async function runSucceeds(team: string, job: OpenAIJob, seconds: number, measured: MeasuredRun) {
  const event = (status: 'RUNNING' | 'SUCCEEDED', extra = {}) =>
    handleBatchStatusEvent(
      statusDeps,
      batchEvent({ status, jobId: job.batch_job_id ?? 'none', ...extra }, team, job.id),
    );
  await event('RUNNING');
  await h.stores.jobs.recordProgress(team, job.id, { trainedTokens: 8000, estimatedFinish: null, measured });
  const attempts = [{ startedAt: 1_000_000, stoppedAt: 1_000_000 + seconds * 1000 }];
  return () => event('SUCCEEDED', { attempts });
}

describe('a succeeded job settles its cost', () => {
  it('Given a run of 600 s, when Batch reports SUCCEEDED, then the job shows its actual cost at the estimate’s hourly price', async () => {
    const { team, auth } = await h.team();
    const job = await createJob(team, auth);
    const succeed = await runSucceeds(team, job, 600, {
      tokensPerSecond: 50,
      trainingSeconds: 160,
      backend: 'wasm',
    });
    await succeed();
    const done = await retrieve(auth, job.id);
    const perHour = job.estimate?.on_demand_usd_per_hour ?? Number.NaN;
    expect(perHour).toBeGreaterThan(0);
    expect(done.actual_wall_seconds).toBe(600);
    expect(done.actual_cost_usd).toBeCloseTo((600 / 3600) * perHour, 12);
    expect(done.measured_throughput).toEqual({
      tokens_per_second: 50,
      training_seconds: 160,
      backend: 'wasm',
    });
  });

  it('Given the job was charged its estimate, when it succeeds, then the month holds its actual cost instead, even when SUCCEEDED is redelivered', async () => {
    const { team, auth } = await h.team();
    const file = await h.file(team);
    const job = await createJob(team, auth, file);
    expect((await estimateFor(auth, file)).budget.spent_usd).toBeCloseTo(
      job.estimate?.cost_usd.on_demand ?? -1,
      9,
    );
    const succeed = await runSucceeds(team, job, 1800, {
      tokensPerSecond: 50,
      trainingSeconds: 160,
      backend: 'wasm',
    });
    expect(await succeed()).toBe('applied');
    expect(await succeed()).toBe('unchanged');
    const done = await retrieve(auth, job.id);
    expect((await estimateFor(auth, file)).budget.spent_usd).toBeCloseTo(done.actual_cost_usd ?? -1, 9);
  });

  it('Given a queued job, when cancelled and Batch reports its never-started run FAILED, then it cost nothing and the estimate is refunded', async () => {
    const { team, auth } = await h.team();
    const file = await h.file(team);
    const job = await createJob(team, auth, file);
    expect((await h.post(`/v1/fine_tuning/jobs/${job.id}/cancel`, auth, {})).status).toBe(200);
    await handleBatchStatusEvent(
      statusDeps,
      batchEvent(
        { status: 'FAILED', statusReason: 'cancelled', jobId: job.batch_job_id ?? 'none' },
        team,
        job.id,
      ),
    );
    const done = await retrieve(auth, job.id);
    expect(done).toMatchObject({ status: 'cancelled', actual_cost_usd: 0, actual_wall_seconds: 0 });
    expect((await estimateFor(auth, file)).budget.spent_usd).toBeCloseTo(0, 9);
  });
});

describe('calibration from finished jobs', () => {
  it('Given two succeeded runs of a bucket, then the estimate does not use them yet; given a third, then their median', async () => {
    const { team, auth } = await h.team();
    const file = await h.file(team);
    // Supervised runs: the other tests here calibrate prompt tuning, and the embedded stack pools its wasm
    // runs per method.
    const first = await createJob(team, auth, file, 'supervised');
    const bucket = first.estimate?.calibration_bucket;
    expect(bucket).toBeTruthy();
    const before = (await estimateFor(auth, file, 'supervised')).methods.supervised.plan.throughput;
    expect(before.source).not.toBe('measured');
    // Faster than assumed, so the cheapest instance (the bucket's) stays the cheapest.
    const speeds = [2, 4, 3].map((x) => x * before.tokens_per_second);
    const backend = bucket?.backend === 'tfjs-wasm' ? 'wasm' : 'tensorflow';
    for (const [i, tokensPerSecond] of speeds.entries()) {
      const job = i === 0 ? first : await createJob(team, auth, file, 'supervised');
      const succeed = await runSucceeds(team, job, 60, { tokensPerSecond, trainingSeconds: 30, backend });
      await succeed();
      const throughput = (await estimateFor(auth, file, 'supervised')).methods.supervised.plan.throughput;
      if (i < 2) {
        expect(throughput.source).not.toBe('measured');
      } else {
        expect(throughput.source).toBe('measured');
        expect(throughput.tokens_per_second).toBeCloseTo(3 * before.tokens_per_second, 6);
      }
    }
  });

  it('Given a run on wasm (the embedded stack), then it is recorded in the wasm bucket of its instance', async () => {
    const { team, auth } = await h.team();
    const job = await createJob(team, auth);
    const bucket = job.estimate?.calibration_bucket;
    if (!bucket) throw new Error('the job has no calibration bucket');
    const succeed = await runSucceeds(team, job, 60, {
      tokensPerSecond: 123,
      trainingSeconds: 30,
      backend: 'wasm',
    });
    await succeed();
    const wasm = await calibration.recent({ ...bucket, backend: 'tfjs-wasm' });
    // One attempt of 60 s, 30 of them training steps: the other 30 are its start-up, loading and upload.
    expect(wasm.find((m) => m.tokensPerSecond === 123)).toMatchObject({
      trainingSeconds: 30,
      overheadSeconds: 30,
    });
  });
});

import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StackProcess, startStackProcess, until } from '#tests/e2e/stack-process.ts';
import { isAlive, trainerPidOf } from '#tests/e2e/trainer-process.ts';

/** Fast polling: the SIGKILL test must catch the trainer a step or two past a checkpoint. */
const POLL_MS = 100;

/**
 * Jobs end to end through `npm start` and the official client, with the real trainer on attune-tiny: a full
 * fine-tune, a hybrid prompt tune over its model, a cancel of a running job, and a trainer killed with
 * SIGKILL that the local runner retries as a lost host and that resumes from its last checkpoint.
 */

/** Checkpoint this often, so a killed run repeats fewer steps than this. */
const CHECKPOINT_EVERY = 6;

const DATASET = Array.from({ length: 24 }, (_, i) => ({
  messages: [
    { role: 'user', content: `Where is order ${i}?` },
    { role: 'assistant', content: 'It ships tomorrow from the warehouse.' },
  ],
}))
  .map((line) => JSON.stringify(line))
  .join('\n');

type Job = OpenAI.FineTuning.FineTuningJob & {
  estimate: { local_wall_clock_seconds: number | null; cost_usd: { on_demand: number } } | null;
  user_provided_suffix: string | null;
  actual_cost_usd: number | null;
  actual_wall_seconds: number | null;
  measured_throughput: { tokens_per_second: number; backend: string } | null;
};
type JobEvent = OpenAI.FineTuning.FineTuningJobEvent & { data?: Record<string, unknown> };

const TERMINAL = ['succeeded', 'failed', 'cancelled'];

describe('fine-tuning jobs through npm start: the real trainer, the local batch runner, the openai client', () => {
  let stack: StackProcess;
  let client: OpenAI;
  let fileId: string;
  let ftModel: string;
  const started = Date.now();
  const durations: Record<string, number> = {};
  /** Predicted (the estimate's local run) against actual wall time of the jobs that ran to the end. */
  const wallTimes: { job: string; predicted_s: number | null; actual_s: number | null }[] = [];
  const recordWall = (job: Job) =>
    wallTimes.push({
      job: job.user_provided_suffix ?? job.id,
      predicted_s: job.estimate?.local_wall_clock_seconds ?? null,
      actual_s: job.actual_wall_seconds,
    });

  const retrieve = async (id: string) => (await client.fineTuning.jobs.retrieve(id)) as Job;
  const finished = (id: string, timeoutMs = 180_000) =>
    until(
      () => retrieve(id),
      (j) => TERMINAL.includes(j.status),
      timeoutMs,
      POLL_MS,
    );

  /** Every event of the job, oldest first, read through the client's auto-paging. */
  async function eventsOf(id: string): Promise<JobEvent[]> {
    const events: JobEvent[] = [];
    for await (const event of client.fineTuning.jobs.listEvents(id, { limit: 20 })) {
      events.push(event as JobEvent);
    }
    return events.reverse();
  }

  const metricSteps = (events: JobEvent[]) =>
    events.filter((e) => e.type === 'metrics').map((e) => e.data as { step: number; train_loss: number });

  const create = (params: Record<string, unknown>) =>
    client.fineTuning.jobs.create({
      model: 'attune-tiny',
      training_file: fileId,
      ...params,
    } as unknown as OpenAI.FineTuning.JobCreateParams) as unknown as Promise<Job>;

  /** A job long enough to be caught running: 3 epochs of 12 steps. */
  const longPromptTune = () =>
    create({
      suffix: 'long',
      method: {
        type: 'prompt_tuning',
        prompt_tuning: { hyperparameters: { n_epochs: 3, batch_size: 2, num_virtual_tokens: 4 } },
      },
    });

  beforeAll(async () => {
    stack = await startStackProcess({
      env: { ATTUNE_CHECKPOINT_EVERY: String(CHECKPOINT_EVERY), ATTUNE_METRICS_INTERVAL_MS: '0' },
    });
    client = new OpenAI({ apiKey: stack.key, baseURL: `${stack.url}/v1`, maxRetries: 0 });
    const uploaded = await client.files.create({
      file: await toFile(Buffer.from(DATASET), 'orders.jsonl'),
      purpose: 'fine-tune',
    });
    const file = await until(
      () => client.files.retrieve(uploaded.id),
      (f) => f.status !== 'uploaded',
      60_000,
      POLL_MS,
    );
    expect(file.status).toBe('processed');
    fileId = file.id;
    durations.startAndUpload = Date.now() - started;
  });

  afterAll(async () => {
    console.log(
      JSON.stringify({ e2e_durations_ms: { ...durations, total: Date.now() - started }, wallTimes }),
    );
    if (stack) expect(await stack.stop('SIGTERM')).toBe(0);
  });

  it('Given a processed file, when a supervised job runs, then validating_files → queued → running → succeeded, the loss falls, the ft: model is listed and the job says what it cost', async () => {
    const t0 = Date.now();
    const created = await create({
      suffix: 'orders',
      method: { type: 'supervised', supervised: { hyperparameters: { n_epochs: 2, batch_size: 4 } } },
    });
    expect(['queued', 'running']).toContain(created.status);
    const job = await finished(created.id);
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    expect(job.fine_tuned_model).toMatch(/^ft:attune-tiny:.+:orders:/);
    ftModel = job.fine_tuned_model as string;

    const events = await eventsOf(job.id);
    const messages = events.filter((e) => e.type === 'message').map((e) => e.message);
    expect(messages[0]).toBe(`Created fine-tuning job: ${job.id}`);
    const order = ['Job queued', 'Job started running', 'The job has successfully completed'].map((m) =>
      messages.indexOf(m),
    );
    expect(order.every((at, i) => at > (order[i - 1] ?? 0))).toBe(true);
    const losses = metricSteps(events).map((m) => m.train_loss);
    expect(losses.length).toBeGreaterThanOrEqual(10);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(losses.slice(-3))).toBeLessThan(mean(losses.slice(0, 3)));

    // Registered before the job reads succeeded: usable the moment a client sees it.
    expect((await client.models.list()).data.map((m) => m.id)).toContain(ftModel);
    expect(job.actual_wall_seconds).toBeGreaterThan(0);
    expect(job.actual_cost_usd).toBeGreaterThan(0);
    expect(job.measured_throughput).toMatchObject({ backend: 'wasm' });
    expect(job.estimate?.local_wall_clock_seconds).toBeGreaterThan(0);
    recordWall(job);
    durations.supervised = Date.now() - t0;
  });

  it('Given the ft: model, when a prompt is tuned over it (hybrid), then its pt: model attaches to the ft: model', async () => {
    const t0 = Date.now();
    const created = await create({
      model: ftModel,
      suffix: 'hybrid',
      method: {
        type: 'prompt_tuning',
        prompt_tuning: { hyperparameters: { n_epochs: 1, batch_size: 4, num_virtual_tokens: 4 } },
      },
    });
    const job = await finished(created.id);
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    expect(job.model).toBe(ftModel);
    const pt = (await client.models.retrieve(job.fine_tuned_model as string)) as OpenAI.Models.Model & {
      attaches_to: string | null;
      kind: string;
    };
    expect(pt).toMatchObject({ kind: 'tuned_prompt', attaches_to: ftModel });
    recordWall(job);
    durations.hybrid = Date.now() - t0;
  });

  it('Given a running job, when cancelled, then it is cancelled, stays cancelled, and its trainer process is gone', async () => {
    const t0 = Date.now();
    const created = await longPromptTune();
    await until(
      async () => metricSteps(await eventsOf(created.id)).length,
      (n) => n > 0,
      120_000,
      POLL_MS,
    );
    const pid = await trainerPidOf(created.id);
    expect(pid).toBeDefined();
    const cancelled = await client.fineTuning.jobs.cancel(created.id);
    expect(cancelled.status).toBe('cancelled');
    await until(
      () => isAlive(pid as number),
      (alive) => !alive,
      30_000,
      POLL_MS,
    );
    // The run's end (SIGTERM, checkpoint, exit 143) is reported after the cancel: it must not move the job.
    await new Promise((r) => setTimeout(r, 1000));
    const after = await until(
      () => retrieve(created.id),
      (j) => j.actual_wall_seconds !== null,
      10_000,
      POLL_MS,
    );
    expect(after.status).toBe('cancelled');
    expect(after.fine_tuned_model).toBeNull();
    // The run it was cancelled in was billed for the time it ran, not for the whole estimate.
    expect(after.actual_wall_seconds).toBeGreaterThan(0);
    durations.cancel = Date.now() - t0;
  });

  it('Given a trainer killed with SIGKILL mid-run, then the runner retries it as a lost host and it resumes from its last checkpoint, repeating fewer steps than one checkpoint interval', async () => {
    const t0 = Date.now();
    const created = await longPromptTune();
    // Kill it between checkpoints, once one exists: not in the step that writes the next one.
    const before = await until(
      async () => metricSteps(await eventsOf(created.id)).map((m) => m.step),
      (steps) => {
        const last = Math.max(0, ...steps);
        return last > CHECKPOINT_EVERY && last % CHECKPOINT_EVERY >= 1 && last % CHECKPOINT_EVERY <= 3;
      },
      120_000,
      POLL_MS,
    );
    const pid = await trainerPidOf(created.id);
    expect(pid).toBeDefined();
    process.kill(pid as number, 'SIGKILL');
    const job = await finished(created.id);
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');

    const events = await eventsOf(created.id);
    const retry = events.find((e) => e.message.startsWith('Training started (attempt 2)'));
    if (!retry) throw new Error(`no second attempt in:\n${events.map((e) => e.message).join('\n')}`);
    const resumedAt = (retry.data as { resumed_at_step: number }).resumed_at_step;
    expect(resumedAt).toBeGreaterThanOrEqual(CHECKPOINT_EVERY);
    const retryAt = events.indexOf(retry);
    const killedAfter = Math.max(...metricSteps(events.slice(0, retryAt)).map((m) => m.step));
    expect(killedAfter).toBeGreaterThanOrEqual(Math.max(...before));
    const repeated = killedAfter - resumedAt;
    expect(repeated).toBeGreaterThanOrEqual(0);
    expect(repeated).toBeLessThan(CHECKPOINT_EVERY);
    const checkpoints = await client.fineTuning.jobs.checkpoints.list(created.id);
    expect(checkpoints.data.map((c) => c.step_number)).toContain(resumedAt);
    console.log(
      JSON.stringify({ sigkill: { killed_after_step: killedAfter, resumed_at_step: resumedAt, repeated } }),
    );
    durations.sigkill = Date.now() - t0;
  });

  it('Given the jobs of the team, when listed with auto-paging one at a time, then every job is there, newest first', async () => {
    const ids: string[] = [];
    for await (const job of client.fineTuning.jobs.list({ limit: 1 })) ids.push(job.id);
    expect(ids).toHaveLength(4);
    expect([...ids].sort().reverse()).toEqual(ids);
  });
});

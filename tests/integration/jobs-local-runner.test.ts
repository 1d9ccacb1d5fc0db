import { afterAll, describe, expect, it } from 'vitest';
import type { OpenAIJob } from '#core/jobs/job.ts';
import type { OpenAIJobEvent } from '#core/jobs/job-events.ts';
import type { OpenAIModel } from '#core/jobs/models.ts';
import type { ListPage } from '#core/pagination.ts';
import { handleBatchStatusEvent } from '#events/batch-status-event.ts';
import { createApp } from '#http/app.ts';
import { LocalBatchRunner } from '#local/batch-runner.ts';
import { createJobsHarness } from '#tests/integration/jobs-harness.ts';

/**
 * The whole job path on one machine: the API dispatches to the local runner, the runner starts a process
 * with the trainer's environment contract and sends Batch's events to the status handler, which moves the
 * job in DynamoDB Local and registers its model. The "trainer" here only checks its environment; the real
 * one (containers/trainer) plugs into the same command.
 */
const h = createJobsHarness();
const runner: LocalBatchRunner = new LocalBatchRunner({
  command: [
    process.execPath,
    '-e',
    'process.exit(process.env.ATTUNE_JOB_ID && process.env.TABLE_NAME ? 0 : 3)',
  ],
  env: { TABLE_NAME: h.config.tableName, BUCKET_NAME: h.config.bucketName },
  onEvent: (event): Promise<unknown> => handleBatchStatusEvent({ ...h.stores, dispatcher: runner }, event),
});
const app = createApp({ ...h.deps, dispatcher: runner });

afterAll(async () => {
  await runner.close();
  await h.cleanup();
});

describe('a prompt-tuning job through the local batch runner', () => {
  it('Given a processed file, when the job is created, then it goes queued → running → succeeded and its pt: model is listed', async () => {
    const { team, auth } = await h.team();
    const file = await h.file(team);
    const created = await app.request('/v1/fine_tuning/jobs', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'attune-tiny', training_file: file, method: { type: 'prompt_tuning' } }),
    });
    const job = (await created.json()) as OpenAIJob;
    expect(job.batch_job_id).toMatch(/^local-/);
    await runner.idle();

    const done = (await (
      await app.request(`/v1/fine_tuning/jobs/${job.id}`, { headers: auth })
    ).json()) as OpenAIJob;
    expect(done.status).toBe('succeeded');
    const events = (await (
      await app.request(`/v1/fine_tuning/jobs/${job.id}/events`, { headers: auth })
    ).json()) as ListPage<OpenAIJobEvent>;
    expect(events.data.map((e) => e.message).reverse()).toEqual([
      `Created fine-tuning job: ${job.id}`,
      'Job queued',
      'Job started running',
      'The job has successfully completed',
    ]);
    const models = (await (await app.request('/v1/models', { headers: auth })).json()) as {
      data: OpenAIModel[];
    };
    expect(models.data.map((m) => m.id)).toContain(done.fine_tuned_model);
  });
});

import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalHttpServer, listenLocalHttp } from '#local/http-server.ts';
import { createJobsHarness } from '#tests/integration/jobs-harness.ts';

/** The jobs and models API on a loopback port, driven by the official `openai` client as a team would. */
const h = createJobsHarness();
let server: LocalHttpServer;
let client: OpenAI;
let team: string;

beforeAll(async () => {
  server = await listenLocalHttp(0);
  server.setHandler((request) => h.app.fetch(request));
  const created = await h.team();
  team = created.team;
  client = new OpenAI({ apiKey: created.key, baseURL: `${server.url}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await server.close();
  await h.cleanup();
});

describe('the official openai client against the jobs API', () => {
  it('Given a processed file, when it creates, retrieves, lists (auto-paging), lists events and cancels, then every call works', async () => {
    const file = await h.file(team);
    const created = [];
    for (let i = 0; i < 3; i++) {
      created.push(
        await client.fineTuning.jobs.create({
          model: 'attune-tiny',
          training_file: file,
          suffix: `run${i}`,
          method: { type: 'supervised', supervised: { hyperparameters: { n_epochs: 1 } } },
          metadata: { run: String(i) },
        }),
      );
    }
    expect(created.map((j) => j.status)).toEqual(['queued', 'queued', 'queued']);

    const retrieved = await client.fineTuning.jobs.retrieve(created[1]?.id ?? '');
    expect(retrieved).toMatchObject({
      id: created[1]?.id,
      object: 'fine_tuning.job',
      user_provided_suffix: 'run1',
    });

    const listed: string[] = [];
    for await (const job of client.fineTuning.jobs.list({ limit: 1 })) listed.push(job.id);
    expect(listed).toEqual(created.map((j) => j.id).reverse());

    const filtered = await client.fineTuning.jobs.list({ metadata: { run: '2' } });
    expect(filtered.data.map((j) => j.id)).toEqual([created[2]?.id]);

    const events = [];
    for await (const event of client.fineTuning.jobs.listEvents(created[0]?.id ?? '', { limit: 1 })) {
      events.push(event.message);
    }
    expect(events).toEqual(['Job queued', `Created fine-tuning job: ${created[0]?.id}`]);

    const cancelled = await client.fineTuning.jobs.cancel(created[0]?.id ?? '');
    expect(cancelled.status).toBe('cancelled');
    await expect(client.fineTuning.jobs.cancel(created[0]?.id ?? '')).resolves.toMatchObject({
      status: 'cancelled',
    });
  });

  it('Given a prompt-tuning method (an Attune extension), when created through the client, then it is accepted', async () => {
    const file = await h.file(team);
    const job = await client.fineTuning.jobs.create({
      model: 'attune-tiny',
      training_file: file,
      method: { type: 'prompt_tuning', prompt_tuning: { hyperparameters: { num_virtual_tokens: 10 } } },
    } as unknown as OpenAI.FineTuning.JobCreateParams);
    expect(job.method?.type).toBe('prompt_tuning');
  });

  it('Given bad input, then the client raises its typed errors', async () => {
    await expect(
      client.fineTuning.jobs.create({ model: 'attune-tiny', training_file: `file-${'0'.repeat(26)}` }),
    ).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(
      client.fineTuning.jobs.create({
        model: 'attune-tiny',
        training_file: await h.file(team),
        method: { type: 'dpo' },
      }),
    ).rejects.toBeInstanceOf(OpenAI.BadRequestError);
  });

  it('Given the models API, then the client lists and retrieves the base model', async () => {
    const models = [];
    for await (const model of client.models.list()) models.push(model.id);
    expect(models).toContain('attune-tiny');
    expect((await client.models.retrieve('attune-tiny')).owned_by).toBe('attune');
  });
});

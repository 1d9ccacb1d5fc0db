import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StackProcess, startStackProcess, until } from '#tests/e2e/stack-process.ts';

const DATASET = Array.from({ length: 8 }, (_, i) => ({
  messages: [
    { role: 'user', content: `Order ${i}: where is it?` },
    { role: 'assistant', content: 'It ships tomorrow.' },
  ],
}))
  .map((line) => JSON.stringify(line))
  .join('\n');

describe('a prompt-tuning job through npm start: local batch runner, real trainer, status handler', () => {
  let stack: StackProcess;
  let client: OpenAI;

  beforeAll(async () => {
    stack = await startStackProcess();
    client = new OpenAI({ apiKey: stack.key, baseURL: `${stack.url}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    if (stack) expect(await stack.stop('SIGTERM')).toBe(0);
  });

  it('given a processed file, when a prompt-tuning job is created, then it succeeds and its pt: model is listed', async () => {
    const uploaded = await client.files.create({
      file: await toFile(Buffer.from(DATASET), 'orders.jsonl'),
      purpose: 'fine-tune',
    });
    const file = await until(
      () => client.files.retrieve(uploaded.id),
      (f) => f.status !== 'uploaded',
      60_000,
    );
    expect(file.status).toBe('processed');

    const created = await client.fineTuning.jobs.create({
      model: 'attune-tiny',
      training_file: file.id,
      suffix: 'orders',
      method: {
        type: 'prompt_tuning',
        prompt_tuning: { hyperparameters: { n_epochs: 1, batch_size: 4, num_virtual_tokens: 4 } },
      },
    } as unknown as OpenAI.FineTuning.JobCreateParams);
    const job = await until(
      () => client.fineTuning.jobs.retrieve(created.id),
      (j) => ['succeeded', 'failed', 'cancelled'].includes(j.status),
      120_000,
    );
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    expect(job.fine_tuned_model).toMatch(/^pt:attune-tiny:/);

    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toContain(job.fine_tuned_model);
    const events = await client.fineTuning.jobs.listEvents(created.id, { limit: 100 });
    expect(events.data.some((e) => e.type === 'metrics')).toBe(true);
  });
});

import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSmallPromptTuning, uploadAndIngest } from '#tests/e2e/openai-flows.ts';
import { type StackProcess, startStackProcess } from '#tests/e2e/stack-process.ts';

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
    const file = await uploadAndIngest(client, DATASET, 'orders.jsonl');
    expect(file.status).toBe('processed');

    const job = await runSmallPromptTuning(client, file.id, 120_000);
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    expect(job.fine_tuned_model).toMatch(/^pt:attune-tiny:/);

    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toContain(job.fine_tuned_model);
    const events = await client.fineTuning.jobs.listEvents(job.id, { limit: 100 });
    expect(events.data.some((e) => e.type === 'metrics')).toBe(true);
  });
});

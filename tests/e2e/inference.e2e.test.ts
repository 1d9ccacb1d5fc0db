import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSmallPromptTuning, uploadAndIngest } from '#tests/e2e/openai-flows.ts';
import { type StackProcess, startStackProcess } from '#tests/e2e/stack-process.ts';

/**
 * Completions through `npm start` with the official openai client: the embedded stack routes
 * `POST /v1/completions` and `POST /v1/chat/completions` to the inference handler, as API Gateway does.
 */

/** Eight chat examples that all give the same answer: the dataset of the walkthrough's tuned prompt. */
const DATASET = Array.from({ length: 8 }, (_, i) => ({
  messages: [
    { role: 'user', content: `Order ${i}: where is it?` },
    { role: 'assistant', content: 'It ships tomorrow.' },
  ],
}))
  .map((line) => JSON.stringify(line))
  .join('\n');

describe('inference through npm start and the openai client', () => {
  let stack: StackProcess;
  let client: OpenAI;

  beforeAll(async () => {
    stack = await startStackProcess();
    client = new OpenAI({ apiKey: stack.key, baseURL: `${stack.url}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    if (stack) expect(await stack.stop('SIGTERM')).toBe(0);
  });

  it('given the built-in model, when completions.create is called, then it returns a typed text completion', async () => {
    const completion = await client.completions.create({
      model: 'attune-tiny',
      prompt: 'The President said',
      max_tokens: 5,
      temperature: 0,
      logprobs: 1,
    });
    expect(completion.object).toBe('text_completion');
    expect(completion.model).toBe('attune-tiny');
    expect(completion.choices[0]?.text.length).toBeGreaterThan(0);
    expect(completion.choices[0]?.logprobs?.tokens).toHaveLength(5);
    expect(completion.usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 });
  });

  it('given a conversation, when chat.completions.create is called, then it returns an assistant message', async () => {
    const completion = await client.chat.completions.create({
      model: 'attune-tiny',
      messages: [
        { role: 'system', content: 'You answer briefly.' },
        { role: 'user', content: 'Where is the whale?' },
      ],
      max_tokens: 4,
      temperature: 0.7,
      seed: 1,
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.choices[0]?.message.role).toBe('assistant');
    expect(completion.usage?.completion_tokens).toBeLessThanOrEqual(4);
  });

  it('given an unknown model, then the client raises NotFoundError with model_not_found', async () => {
    const error = await client.completions
      .create({ model: 'gpt-nonexistent', prompt: 'x', max_tokens: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
  });

  it('given stream: true, then the client raises BadRequestError with stream_unsupported', async () => {
    const error = await client.chat.completions
      .create({ model: 'attune-tiny', messages: [{ role: 'user', content: 'hi' }], stream: true })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('stream_unsupported');
  });

  it('given the API routes on the same server, then they still answer (models list)', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toContain('attune-tiny');
  });

  it('given a prompt tuned by a job on this stack, then completions name it, attach its virtual tokens and change', async () => {
    const file = await uploadAndIngest(client, DATASET, 'orders.jsonl');
    expect(file.status).toBe('processed');
    const job = await runSmallPromptTuning(client, file.id, 180_000);
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    const tuned = job.fine_tuned_model as string;

    const request = { prompt: 'Order 9: where is it?', max_tokens: 3, temperature: 0, logprobs: 1 };
    const base = await client.completions.create({ ...request, model: 'attune-tiny' });
    const withPrompt = await client.completions.create({ ...request, model: tuned });
    const withAdapter = await client.completions.create({
      ...request,
      model: 'attune-tiny',
      adapter: tuned,
    } as OpenAI.CompletionCreateParamsNonStreaming);
    expect(withPrompt.model).toBe(tuned);
    expect((withPrompt.usage as unknown as { virtual_tokens: number }).virtual_tokens).toBe(4);
    expect((base.usage as unknown as { virtual_tokens: number }).virtual_tokens).toBe(0);
    expect(withPrompt.usage?.prompt_tokens).toBe(base.usage?.prompt_tokens);
    // The attached prompt changes the model's distribution; the adapter extension attaches the same one.
    const firstLogprob = (c: OpenAI.Completion) => c.choices[0]?.logprobs?.token_logprobs?.[0];
    expect(firstLogprob(withPrompt)).not.toBe(firstLogprob(base));
    expect(withAdapter.choices[0]?.text).toBe(withPrompt.choices[0]?.text);
    expect(firstLogprob(withAdapter)).toBe(firstLogprob(withPrompt));
  });
});

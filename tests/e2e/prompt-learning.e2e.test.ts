import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uploadAndIngest } from '#tests/e2e/openai-flows.ts';
import { type StackProcess, startStackProcess, until } from '#tests/e2e/stack-process.ts';

/**
 * The claim prompt tuning makes, proven end to end: a prompt tuned by a job on `npm start` makes the
 * frozen built-in model answer the way its training data asks, to questions it never saw, and the same
 * requests without the prompt do not. The task is clearly learnable: every order question, in six
 * phrasings, gets one answer. (attune-tiny learns it from its fourth pre-training stage on; its card
 * in models/attune-tiny/ has the figures.)
 */

const ANSWER = 'It ships tomorrow.';
const PHRASINGS = [
  'Where is order {n}?',
  'Has order {n} shipped?',
  'What is the status of order {n}?',
  'When will order {n} arrive?',
  'Any news on order {n}?',
  'Can you track order {n}?',
];
/** Order numbers 1000–9999 for training; the questions asked afterwards use others. */
const TRAINING_ORDERS = Array.from({ length: 36 }, (_, i) => 1000 + ((i * 7919) % 9000));
const HELD_OUT = ['Where is order 5555?', 'Has order 31 shipped?', 'Can you track order 80808?'];

const DATASET = TRAINING_ORDERS.map((n, i) =>
  JSON.stringify({
    messages: [
      { role: 'user', content: (PHRASINGS[i % PHRASINGS.length] as string).replace('{n}', String(n)) },
      { role: 'assistant', content: ANSWER },
    ],
  }),
).join('\n');

describe('a prompt tuned on the embedded stack', () => {
  let stack: StackProcess;
  let client: OpenAI;
  let tuned: string;

  beforeAll(async () => {
    stack = await startStackProcess();
    client = new OpenAI({ apiKey: stack.key, baseURL: `${stack.url}/v1`, maxRetries: 0 });
    const file = await uploadAndIngest(client, DATASET, 'order-answers.jsonl');
    expect(file.status).toBe('processed');
    const created = await client.fineTuning.jobs.create({
      model: 'attune-tiny',
      training_file: file.id,
      suffix: 'orders',
      seed: 1,
      method: {
        type: 'prompt_tuning',
        prompt_tuning: {
          hyperparameters: {
            n_epochs: 30,
            batch_size: 8,
            learning_rate_multiplier: 2,
            num_virtual_tokens: 20,
          },
        },
      },
    } as unknown as OpenAI.FineTuning.JobCreateParams);
    const job = await until(
      () => client.fineTuning.jobs.retrieve(created.id),
      (j) => ['succeeded', 'failed', 'cancelled'].includes(j.status),
      300_000,
    );
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    tuned = job.fine_tuned_model as string;
  }, 420_000);

  afterAll(async () => {
    if (stack) expect(await stack.stop('SIGTERM')).toBe(0);
  });

  const ask = (model: string, question: string) =>
    client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: question }],
      max_tokens: 10,
      temperature: 0,
    });

  it.each(HELD_OUT)(
    'given the tuned prompt and the unseen question %j, then the answer is the trained one',
    async (question) => {
      const completion = await ask(tuned, question);
      expect(completion.choices[0]?.message.content).toBe(ANSWER);
      expect(completion.choices[0]?.finish_reason).toBe('stop');
    },
  );

  it.each(HELD_OUT)(
    'given the base model and the unseen question %j, then the answer is not the trained one',
    async (question) => {
      const completion = await ask('attune-tiny', question);
      expect(completion.choices[0]?.message.content).not.toContain('ships tomorrow');
    },
  );
});

import type OpenAI from 'openai';
import { toFile } from 'openai';
import { until } from '#tests/e2e/stack-process.ts';

/** Steps several e2e tests take through the official client, written once. */

/** Uploads `text` as a fine-tuning file and waits until ingestion has judged it (processed or error). */
export async function uploadAndIngest(
  client: OpenAI,
  text: string,
  name: string,
): Promise<OpenAI.Files.FileObject> {
  const uploaded = await client.files.create({
    file: await toFile(Buffer.from(text), name),
    purpose: 'fine-tune',
  });
  return until(
    () => client.files.retrieve(uploaded.id),
    (f) => f.status !== 'uploaded',
    60_000,
  );
}

/** A small prompt-tuning job of attune-tiny (suffix `orders`, 4 virtual tokens), waited on until it ends. */
export async function runSmallPromptTuning(
  client: OpenAI,
  trainingFile: string,
  timeoutMs: number,
): Promise<OpenAI.FineTuning.FineTuningJob> {
  const created = await client.fineTuning.jobs.create({
    model: 'attune-tiny',
    training_file: trainingFile,
    suffix: 'orders',
    method: {
      type: 'prompt_tuning',
      prompt_tuning: { hyperparameters: { n_epochs: 1, batch_size: 4, num_virtual_tokens: 4 } },
    },
  } as unknown as OpenAI.FineTuning.JobCreateParams);
  return until(
    () => client.fineTuning.jobs.retrieve(created.id),
    (j) => ['succeeded', 'failed', 'cancelled'].includes(j.status),
    timeoutMs,
  );
}

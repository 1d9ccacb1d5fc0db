import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '#model/backend.ts';
import { runAttune, SENTENCES, tinyModelDir, writeJsonl } from '#tests/e2e/cli/attune-process.ts';

/**
 * End to end, as a user would: prompt-tune a frozen random model so that every sentence is followed by
 * " dog", then generate with and without the tuned prompt. Only the adapter can make the difference.
 */

let dir: string;
let model: string;
let adapter: string;
const ANSWER = ' dog';

beforeAll(async () => {
  await initBackend({ log: () => {} });
  ({ dir, model } = await tinyModelDir('adapter', {
    config: { n_layer: 2, n_head: 2, n_embd: 32, n_positions: 64, layer_norm_epsilon: 1e-5 },
    trainedScale: true,
  }));
  const data = await writeJsonl(
    dir,
    'dog.jsonl',
    SENTENCES.map((s) => ({ prompt: s, completion: ANSWER })),
  );
  adapter = path.join(dir, 'adapter');
  const run = await runAttune([
    'train',
    '--model',
    model,
    '--data',
    data,
    '--method',
    'prompt_tuning',
    '--out',
    adapter,
    '--num-virtual-tokens',
    '20',
    '--epochs',
    '50',
    '--batch-size',
    '1',
    '--learning-rate-multiplier',
    '3',
  ]);
  if (run.code !== 0) throw new Error(`prompt tuning failed: ${run.stderr}`);
}, 180_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const greedy = (prompt: string, extra: string[] = []) =>
  runAttune([
    'generate',
    '--model',
    model,
    '--prompt',
    prompt,
    '--max-tokens',
    '1',
    '--temperature',
    '0',
    ...extra,
  ]);

describe('attune generate --adapter', () => {
  it('given a prompt tuned to answer " dog", when generating with it, then every trained sentence gets " dog"', async () => {
    const outputs = await Promise.all(SENTENCES.map((s) => greedy(s, ['--adapter', adapter])));
    expect(outputs.map((o) => o.stdout)).toEqual(SENTENCES.map(() => `${ANSWER}\n`));
  });

  it('given the same frozen model without the adapter, when generating, then the answer is not " dog"', async () => {
    const outputs = await Promise.all(SENTENCES.map((s) => greedy(s)));
    expect(outputs.every((o) => o.code === 0)).toBe(true);
    expect(outputs.filter((o) => o.stdout === `${ANSWER}\n`)).toEqual([]);
  });
});

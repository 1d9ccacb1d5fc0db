import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGenerateCommand } from '#local/cli-generate.ts';
import { initBackend } from '#model/backend.ts';
import { generate } from '#model/generate.ts';
import { disposeGpt2Weights } from '#model/gpt2.ts';
import { loadModelDir } from '#model/model-dir.ts';
import { initSoftPrompt, savePeftPrompt } from '#model/soft-prompt.ts';
import { loadTokenizer } from '#model/tokenizer.ts';
import { runAttune, runInProcess, TINY_CONFIG, tinyModelDir } from '#tests/e2e/cli/attune-process.ts';

let dir: string;
let model: string;
/** What the library's greedy generation gives for the test prompt: the command must print exactly this. */
let expected: string;
const PROMPT = 'the cat sat';

beforeAll(async () => {
  await initBackend({ log: () => {} });
  ({ dir, model } = await tinyModelDir('generate'));
  const loaded = await loadModelDir(model);
  const tokenizer = loadTokenizer(loaded.tokenizerJson);
  const result = generate(loaded.config, loaded.weights, tokenizer.encodeOrdinary(PROMPT), {
    maxTokens: 12,
    temperature: 0,
    decode: (ids) => tokenizer.decode(ids),
    eosTokenId: tokenizer.eosTokenId,
  });
  expected = result.text ?? '';
  disposeGpt2Weights(loaded.weights);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const greedy = () => [
  'generate',
  '--model',
  model,
  '--prompt',
  PROMPT,
  '--max-tokens',
  '12',
  '--temperature',
  '0',
];

describe('attune generate', () => {
  it('given temperature 0, when run, then it prints the greedy continuation and exits 0', async () => {
    const run = await runAttune(greedy());
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(expected.length).toBeGreaterThan(0);
    expect(run.stdout).toBe(`${expected}\n`);
  });

  it('given a stop sequence inside the greedy continuation, when run, then the output ends before it', async () => {
    const stop = expected.slice(Math.floor(expected.length / 2));
    const cut = expected.slice(0, expected.indexOf(stop));
    const run = await runAttune([...greedy(), '--stop', stop]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${cut}\n`);
  });

  it('given the same seed twice at temperature 1, when run, then both samples are identical', async () => {
    const sampled = ['generate', '--model', model, '--prompt', PROMPT, '--max-tokens', '8', '--seed', '42'];
    const [a, b] = await Promise.all([runAttune(sampled), runAttune(sampled)]);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
  });

  it('given no --model, when run, then it says so and exits 2', async () => {
    const run = await runAttune(['generate', '--prompt', 'x']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--model is required');
    expect(run.stderr).toContain('Usage: attune generate');
  });

  it('given a non-numeric --max-tokens, when run, then it names the flag and exits 2', async () => {
    const run = await runInProcess(runGenerateCommand, [
      '--model',
      model,
      '--prompt',
      'x',
      '--max-tokens',
      'many',
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--max-tokens must be an integer, got 'many'");
  });

  it('given an unknown flag, when run, then it exits 2', async () => {
    const run = await runInProcess(runGenerateCommand, ['--model', model, '--prompt', 'x', '--tokens', '3']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("Unknown option '--tokens'");
  });

  it('given a directory that is not a model, when run, then it says which file is missing and exits 2', async () => {
    const run = await runInProcess(runGenerateCommand, ['--model', dir, '--prompt', 'x']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('has no readable config.json');
  });

  it('given more tokens than the context holds, when run, then it explains and exits 2', async () => {
    const run = await runInProcess(runGenerateCommand, [
      '--model',
      model,
      '--prompt',
      'x',
      '--max-tokens',
      '500',
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`exceed the context of ${TINY_CONFIG.n_positions}`);
  });

  it('given an adapter tuned for another width, when run, then it refuses and exits 2', async () => {
    const adapter = path.join(dir, 'wide-adapter');
    const loaded = await loadModelDir(model);
    const wide = { ...loaded.config, n_embd: 32 };
    const prompt = initSoftPrompt({
      init: 'RANDOM',
      numVirtualTokens: 3,
      weights: loaded.weights,
      config: wide,
      seed: 1,
    });
    await savePeftPrompt(adapter, prompt, {
      baseModelNameOrPath: 'other',
      numVirtualTokens: 3,
      tokenDim: 32,
      promptTuningInit: 'RANDOM',
      promptTuningInitText: null,
    });
    prompt.dispose();
    disposeGpt2Weights(loaded.weights);
    const run = await runInProcess(runGenerateCommand, [
      '--model',
      model,
      '--prompt',
      'x',
      '--adapter',
      adapter,
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('was tuned for token_dim 32');
  });
});

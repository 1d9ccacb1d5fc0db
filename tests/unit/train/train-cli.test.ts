import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { trainByteLevelBpe } from '#model/bpe-train.ts';
import { initGpt2Weights } from '#model/gpt2.ts';
import { saveModelDir } from '#model/model-dir.ts';
import { toTokenizerJson } from '#model/tokenizer.ts';
import { progressLine, runTrainCommand } from '#model/train-cli.ts';
import { useTrainingBackend } from './backend.ts';

let dir: string;

beforeAll(async () => {
  await useTrainingBackend();
  dir = await mkdtemp(path.join(tmpdir(), 'attune-train-cli-'));
  const texts = ['one two three', 'two three four', 'three four five'];
  const tokenizerJson = toTokenizerJson(trainByteLevelBpe(texts, { vocabSize: 270 }));
  const config = {
    n_layer: 1,
    n_head: 2,
    n_embd: 16,
    n_positions: 32,
    vocab_size: 270,
    layer_norm_epsilon: 1e-5,
  };
  await saveModelDir(path.join(dir, 'base'), { config, weights: initGpt2Weights(config, 1), tokenizerJson });
  const lines = texts.map((t) => JSON.stringify({ prompt: t, completion: ' done' }));
  await writeFile(path.join(dir, 'data.jsonl'), `${lines.join('\n')}\n`);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

afterEach(() => {
  vi.restoreAllMocks();
});

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((line: unknown) => void out.push(String(line)));
  vi.spyOn(console, 'error').mockImplementation((line: unknown) => void err.push(String(line)));
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  return { out, err };
}

describe('progressLine', () => {
  it('given half the steps done, when rendered, then the bar is half full with loss, rate and ETA', () => {
    const line = progressLine(
      {
        step: 5,
        totalSteps: 10,
        epoch: 0,
        trainLoss: 2.5,
        learningRate: 1e-4,
        gradNorm: 1,
        trainedTokens: 500,
        tokensPerSecond: 100.4,
        elapsedSeconds: 50,
        validLoss: 2.25,
      },
      10,
    );
    expect(line).toBe('[#####.....] step 5/10 loss 2.500 valid 2.250 100 tok/s ETA 50s');
  });
});

describe('runTrainCommand', () => {
  it('given no arguments, when run, then it prints the usage and exits 2', async () => {
    const { err } = capture();
    expect(await runTrainCommand([])).toBe(2);
    expect(err.join('\n')).toMatch(/Usage: attune train --model DIR/);
  });

  it('given an unknown method, when run, then it exits 2', async () => {
    capture();
    const args = ['--model', 'm', '--data', 'd', '--out', 'o', '--method', 'lora'];
    expect(await runTrainCommand(args)).toBe(2);
  });

  it('given a bad epoch count, when run, then it names the field and exits 2', async () => {
    const { err } = capture();
    const args = ['--model', path.join(dir, 'base'), '--data', path.join(dir, 'data.jsonl')];
    const code = await runTrainCommand([
      ...args,
      '--out',
      path.join(dir, 'x'),
      '--method',
      'supervised',
      '--epochs',
      'many',
    ]);
    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(/hyperparameters\.n_epochs/);
  });

  it('given a prompt/completion file, when prompt-tuned, then it writes the adapter and prints metrics JSON', async () => {
    const { out } = capture();
    const outDir = path.join(dir, 'pt');
    const args = ['--model', path.join(dir, 'base'), '--data', path.join(dir, 'data.jsonl'), '--out', outDir];
    const code = await runTrainCommand([
      ...args,
      '--method',
      'prompt_tuning',
      '--epochs',
      '1',
      '--batch-size',
      '3',
      '--virtual-tokens',
      '3',
    ]);
    expect(code).toBe(0);
    expect(JSON.parse(out.at(-1) ?? '{}')).toMatchObject({ status: 'completed', steps: 1 });
    expect((await readdir(outDir)).sort()).toEqual([
      'adapter_config.json',
      'adapter_model.safetensors',
      'attune_training.json',
    ]);
  });
});

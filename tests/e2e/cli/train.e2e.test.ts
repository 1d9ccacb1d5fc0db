import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTrainCommand } from '#local/cli-train.ts';
import { initBackend } from '#model/backend.ts';
import {
  runAttune,
  runInProcess,
  SENTENCES,
  TINY_CONFIG,
  tinyModelDir,
  writeJsonl,
} from '#tests/e2e/cli/attune-process.ts';

let dir: string;
let model: string;
let data: string;

beforeAll(async () => {
  await initBackend({ log: () => {} });
  ({ dir, model } = await tinyModelDir('train'));
  data = await writeJsonl(
    dir,
    'train.jsonl',
    SENTENCES.map((s) => ({ prompt: `${s}:`, completion: ' yes' })),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const flags = () => ['--model', model, '--data', data, '--epochs', '2', '--batch-size', '2'];
const base = () => ['train', ...flags()];
/** `attune train` in-process with the shared flags, `--method prompt_tuning` and `extra`. */
const runPromptTuning = (...extra: string[]) =>
  runInProcess(runTrainCommand, [...flags(), '--method', 'prompt_tuning', '--out', dir, ...extra]);

describe('attune train', () => {
  it('given supervised, when run, then it draws progress on stderr and writes a model directory', async () => {
    const out = path.join(dir, 'ft');
    const run = await runAttune([...base(), '--method', 'supervised', '--out', out]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/\] step 6\/6 loss \d+\.\d{3} \d+ tok\/s ETA 0s/);
    const summary = JSON.parse(run.stdout);
    expect(summary).toMatchObject({ out, steps: 6, files: expect.arrayContaining(['model.safetensors']) });
    const config = JSON.parse(await readFile(path.join(out, 'config.json'), 'utf8'));
    expect(config.n_embd).toBe(16);
  });

  it('given prompt_tuning with TEXT init, when run, then it writes a PEFT adapter of that many tokens', async () => {
    const out = path.join(dir, 'pt');
    const run = await runAttune([
      ...base(),
      '--method',
      'prompt_tuning',
      '--out',
      out,
      '--num-virtual-tokens',
      '4',
      '--init',
      'TEXT',
      '--init-text',
      'the cat',
    ]);
    expect(run.code).toBe(0);
    const adapter = JSON.parse(await readFile(path.join(out, 'adapter_config.json'), 'utf8'));
    expect(adapter).toMatchObject({
      peft_type: 'PROMPT_TUNING',
      num_virtual_tokens: 4,
      token_dim: 16,
      prompt_tuning_init: 'TEXT',
      prompt_tuning_init_text: 'the cat',
    });
  });

  it('given an unknown method, when run, then it names the choices and exits 2', async () => {
    const run = await runInProcess(runTrainCommand, [
      ...flags(),
      '--method',
      'lora',
      '--out',
      path.join(dir, 'x'),
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--method must be supervised or prompt_tuning, got 'lora'");
  });

  it('given a prompt-tuning flag with supervised, when run, then it refuses and exits 2', async () => {
    const run = await runInProcess(runTrainCommand, [
      ...flags(),
      '--method',
      'supervised',
      '--out',
      dir,
      '--num-virtual-tokens',
      '4',
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--num-virtual-tokens applies only to --method prompt_tuning');
  });

  it('given an --init the trainer does not know, when run, then it exits 2', async () => {
    const run = await runPromptTuning('--init', 'ZEROS');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--init must be RANDOM, SAMPLE_VOCAB or TEXT');
  });

  it('given TEXT init without text, when run, then the hyper-parameter check names the field and exits 2', async () => {
    const run = await runPromptTuning('--init', 'TEXT');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('prompt_tuning_init_text');
  });

  it("given more virtual tokens than the model's context holds, when run, then the model's reason and exit 2", async () => {
    const virtual = TINY_CONFIG.n_positions;
    const run = await runPromptTuning('--num-virtual-tokens', String(virtual));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `attune train: num_virtual_tokens ${virtual} leaves no room in a context of ${TINY_CONFIG.n_positions}`,
    );
  });

  it('given no --data, when run, then it says so and exits 2', async () => {
    const run = await runAttune(['train', '--model', model, '--method', 'supervised', '--out', dir]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--data is required');
  });

  it('given a data file with a broken line, when run, then it names the line and exits 2', async () => {
    const broken = path.join(dir, 'broken.jsonl');
    await writeFile(broken, '{"prompt": "a", "completion": "b"}\n{not json\n');
    const run = await runInProcess(runTrainCommand, [
      '--model',
      model,
      '--data',
      broken,
      '--method',
      'supervised',
      '--out',
      dir,
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('line 2: not valid JSON');
  });
});

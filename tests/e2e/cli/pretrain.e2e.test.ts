import { access, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPretrainCommand } from '#local/cli-pretrain.ts';
import { runAttune, runInProcess, SENTENCES, tinyModelDir } from '#tests/e2e/cli/attune-process.ts';

let dir: string;
let model: string;
let text: string;
let tokenizer: string;

beforeAll(async () => {
  const { initBackend } = await import('#model/backend.ts');
  await initBackend({ log: () => {} });
  ({ dir, model } = await tinyModelDir('pretrain'));
  text = path.join(dir, 'text.txt');
  await writeFile(text, Array.from({ length: 60 }, (_, i) => SENTENCES[i % SENTENCES.length]).join('. '));
  tokenizer = path.join(model, 'tokenizer.json');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

/** A fresh tiny model trained on the test text for a token budget. */
const fresh = (out: string, tokens: number) => [
  'pretrain',
  '--out',
  out,
  '--config',
  '{"n_layer": 1, "n_head": 2, "n_embd": 16, "n_positions": 16}',
  '--tokenizer',
  tokenizer,
  '--text',
  text,
  '--tokens',
  String(tokens),
  '--batch-size',
  '2',
  '--checkpoint-every',
  '2',
];

describe('attune pretrain', () => {
  it('given a token budget, when run, then it writes a model directory and a record, and no checkpoint', async () => {
    const out = path.join(dir, 'fresh');
    const run = await runAttune(fresh(out, 320));
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/step 10\/10 loss \d+\.\d{3} valid \d+\.\d{3}/);
    const record = JSON.parse(await readFile(path.join(out, 'attune_pretraining.json'), 'utf8'));
    expect(record).toMatchObject({ status: 'completed', steps: 10, plan: { totalSteps: 10, batchSize: 2 } });
    expect(record.valid_loss).toBeGreaterThan(0);
    expect(await exists(path.join(out, 'model.safetensors'))).toBe(true);
    expect(await exists(path.join(out, 'checkpoint'))).toBe(false);
  });

  it('given a time budget, when run, then it plans from measured throughput and ends within the budget', async () => {
    const out = path.join(dir, 'timed');
    const args = fresh(out, 1);
    args.splice(args.indexOf('--tokens'), 2, '--minutes', '0.25');
    const run = await runAttune(args);
    expect(run.code).toBe(0);
    const record = JSON.parse(await readFile(path.join(out, 'attune_pretraining.json'), 'utf8'));
    expect(record.plan.budget.minutes).toBe(0.25);
    expect(record.plan.budget.tokensPerSecond).toBeGreaterThan(0);
    expect(record.steps).toBeGreaterThan(0);
    // The deadline stops the run between steps; writing the tiny model takes milliseconds.
    expect(record.wall_seconds).toBeLessThan(0.25 * 60 + 2);
  });

  it('given a run killed after a checkpoint, when resumed, then it ends with the weights of an uninterrupted run', async () => {
    const whole = path.join(dir, 'whole');
    const broken = path.join(dir, 'broken');
    const tokens = 16 * 2 * 40;
    const wholeRun = runAttune(fresh(whole, tokens));
    let sent = false;
    const killed = await runAttune(fresh(broken, tokens), {
      onStderr: (err, child) => {
        if (!sent && err.includes('checkpoint at step')) {
          sent = true;
          child.kill('SIGTERM');
        }
      },
    });
    expect(killed.code).toBe(130);
    expect(killed.stderr).toContain('continue with --resume');
    const resumed = await runAttune(['pretrain', '--out', broken, '--resume']);
    expect(resumed.code).toBe(0);
    expect((await wholeRun).code).toBe(0);
    const [a, b] = await Promise.all([
      readFile(path.join(whole, 'model.safetensors')),
      readFile(path.join(broken, 'model.safetensors')),
    ]);
    expect(Buffer.compare(a, b)).toBe(0);
    // The record's speed covers the whole run, both processes, as its wall time does.
    const record = JSON.parse(await readFile(path.join(broken, 'attune_pretraining.json'), 'utf8'));
    expect(record.tokens_per_second).toBeCloseTo(record.tokens_seen / record.wall_seconds, 6);
    expect(record.last_session_tokens_per_second).toBeGreaterThan(0);
  }, 180_000);

  it('given --model, when run on a text, then it continues that model and keeps its shape', async () => {
    const out = path.join(dir, 'continued');
    const run = await runAttune([
      'pretrain',
      '--out',
      out,
      '--model',
      model,
      '--text',
      text,
      '--tokens',
      '200',
    ]);
    expect(run.code).toBe(0);
    const config = JSON.parse(await readFile(path.join(out, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ n_embd: 16, n_positions: 64 });
  });

  it('given both --tokens and --minutes, when run, then it exits 2', async () => {
    const run = await runInProcess(runPretrainCommand, [
      ...fresh(path.join(dir, 'x'), 10).slice(1),
      '--minutes',
      '1',
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('give exactly one of --tokens or --minutes');
  });

  it('given both --model and a config, when run, then it exits 2', async () => {
    const run = await runInProcess(runPretrainCommand, [
      '--out',
      dir,
      '--model',
      model,
      '--n-layer',
      '2',
      '--tokens',
      '9',
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('give either --model');
  });

  it('given neither --model nor a config, when run, then it exits 2', async () => {
    const run = await runInProcess(runPretrainCommand, ['--out', path.join(dir, 'y'), '--tokens', '9']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('give --config');
  });

  it('given --resume where nothing ran, when run, then it exits 2', async () => {
    const run = await runAttune(['pretrain', '--out', path.join(dir, 'nothing'), '--resume']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('holds no checkpoint to resume');
  });

  it('given a --config that is neither JSON nor a file, when run, then it exits 2', async () => {
    const run = await runInProcess(runPretrainCommand, [
      '--out',
      path.join(dir, 'z'),
      '--config',
      'nope.json',
      '--tokens',
      '9',
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--config nope.json is neither JSON nor a readable file');
  });

  it('given a missing --text file, when run, then it exits 2', async () => {
    const run = await runInProcess(runPretrainCommand, [
      '--out',
      path.join(dir, 'w'),
      '--model',
      model,
      '--text',
      '/nope.txt',
      '--tokens',
      '9',
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--text /nope.txt cannot be read');
  });
});

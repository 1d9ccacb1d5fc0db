import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainByteLevelBpe } from '#model/bpe-train.ts';
import { initGpt2Weights } from '#model/gpt2.ts';
import { loadModelDir, saveModelDir } from '#model/model-dir.ts';
import { loadPeftPrompt } from '#model/soft-prompt.ts';
import { toTokenizerJson } from '#model/tokenizer.ts';
import { TRAINING_RECORD_FILE, trainLocally } from '#model/train-local.ts';
import { useTrainingBackend } from './backend.ts';

let dir: string;
const SENTENCES = ['the cat sat on the mat', 'the dog sat on the log', 'a cat and a dog', 'sat on a mat'];

beforeAll(async () => {
  await useTrainingBackend();
  dir = await mkdtemp(path.join(tmpdir(), 'attune-train-local-'));
  const tokenizerJson = toTokenizerJson(trainByteLevelBpe(SENTENCES, { vocabSize: 280 }));
  const config = {
    n_layer: 1,
    n_head: 2,
    n_embd: 16,
    n_positions: 48,
    vocab_size: 280,
    layer_norm_epsilon: 1e-5,
  };
  await saveModelDir(path.join(dir, 'base'), { config, weights: initGpt2Weights(config, 1), tokenizerJson });
  const chat = SENTENCES.map((s) =>
    JSON.stringify({
      messages: [
        { role: 'user', content: s },
        { role: 'assistant', content: 'sat' },
      ],
    }),
  );
  await writeFile(path.join(dir, 'chat.jsonl'), `${chat.join('\n')}\n`);
  await writeFile(path.join(dir, 'text.txt'), SENTENCES.join('. ').repeat(4));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const quiet = { log: () => {} };

describe('trainLocally', () => {
  it('given chat JSONL and full fine-tuning, when trained, then a loadable model directory is written', async () => {
    const out = path.join(dir, 'ft');
    const result = await trainLocally({
      ...quiet,
      modelDir: path.join(dir, 'base'),
      dataPath: path.join(dir, 'chat.jsonl'),
      method: 'supervised',
      outDir: out,
      hyperparameters: { n_epochs: 2, batch_size: 2 },
    });
    expect(result.status).toBe('completed');
    expect(result.metrics.steps).toBe(4);
    const loaded = await loadModelDir(out);
    expect(loaded.config.n_embd).toBe(16);
    const record = JSON.parse(await readFile(path.join(out, TRAINING_RECORD_FILE), 'utf8'));
    expect(record).toMatchObject({ method: 'supervised', metrics: { steps: 4 } });
  });

  it('given prompt tuning with TEXT init, when trained, then a PEFT adapter of the right shape is written', async () => {
    const out = path.join(dir, 'pt');
    await trainLocally({
      ...quiet,
      modelDir: path.join(dir, 'base'),
      dataPath: path.join(dir, 'chat.jsonl'),
      method: 'prompt_tuning',
      outDir: out,
      hyperparameters: {
        n_epochs: 1,
        batch_size: 2,
        num_virtual_tokens: 5,
        prompt_tuning_init: 'TEXT',
        prompt_tuning_init_text: 'the cat',
      },
    });
    const { prompt, config } = await loadPeftPrompt(out);
    expect(prompt.shape).toEqual([5, 16]);
    expect(config).toMatchObject({
      numVirtualTokens: 5,
      promptTuningInit: 'TEXT',
      promptTuningInitText: 'the cat',
    });
  });

  it('given a fine-tuned directory, when prompt-tuned over it (hybrid), then the adapter names that base', async () => {
    const fineTuned = path.join(dir, 'hybrid-base');
    const common = { ...quiet, dataPath: path.join(dir, 'chat.jsonl') };
    await trainLocally({
      ...common,
      modelDir: path.join(dir, 'base'),
      method: 'supervised',
      outDir: fineTuned,
      hyperparameters: { n_epochs: 1, batch_size: 4 },
    });
    const out = path.join(dir, 'hybrid');
    const result = await trainLocally({
      ...common,
      modelDir: fineTuned,
      method: 'prompt_tuning',
      outDir: out,
      hyperparameters: { n_epochs: 1, batch_size: 4, num_virtual_tokens: 2 },
    });
    expect(result.files).toContain('adapter_model.safetensors');
    const adapter = JSON.parse(await readFile(path.join(out, 'adapter_config.json'), 'utf8'));
    expect(adapter.base_model_name_or_path).toBe(path.resolve(fineTuned));
  });

  it('given raw text and pre-training, when trained, then it trains on windows of the context', async () => {
    const result = await trainLocally({
      ...quiet,
      modelDir: path.join(dir, 'base'),
      dataPath: path.join(dir, 'text.txt'),
      method: 'pretrain',
      outDir: path.join(dir, 'pre'),
      hyperparameters: { n_epochs: 1, batch_size: 2 },
    });
    expect(result.metrics.trainedTokens).toBeGreaterThan(48);
    expect(result.files).toContain('model.safetensors');
  });

  it('given a bad hyperparameter, when started, then it fails before reading the model', async () => {
    await expect(
      trainLocally({
        ...quiet,
        modelDir: path.join(dir, 'missing'),
        dataPath: path.join(dir, 'chat.jsonl'),
        method: 'supervised',
        outDir: path.join(dir, 'never'),
        hyperparameters: { n_epochs: -1 },
      }),
    ).rejects.toMatchObject({ param: 'hyperparameters.n_epochs' });
  });
});

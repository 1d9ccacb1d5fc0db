import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormatError } from '#core/errors.ts';
import { initBackend } from '#model/backend.ts';
import { ModelInputError } from '#model/errors.ts';
import { disposeGpt2Weights, type Gpt2Weights, gpt2Forward, initGpt2Weights } from '#model/gpt2.ts';
import { writeSafetensors } from '#model/safetensors.ts';
import {
  initSoftPrompt,
  loadPeftPrompt,
  type PeftPromptConfig,
  peftPromptFromFiles,
  peftPromptToFiles,
  savePeftPrompt,
} from '#model/soft-prompt.ts';
import { maxAbsDiff, TINY_CONFIG } from './helpers.ts';

let weights: Gpt2Weights;
let dir: string;
const base = { weights: undefined as unknown as Gpt2Weights, config: TINY_CONFIG, seed: 1 };

beforeAll(async () => {
  await initBackend({ log: () => {} });
  weights = initGpt2Weights(TINY_CONFIG, 5);
  // Weights well away from GPT-2's tiny init, so the prompt's gradient is large enough to check.
  for (const v of weights.values()) v.assign(tf.mul(v, 10));
  base.weights = weights;
  dir = await mkdtemp(path.join(tmpdir(), 'attune-prompt-'));
});

afterAll(async () => {
  disposeGpt2Weights(weights);
  await rm(dir, { recursive: true, force: true });
});

function wteRows(ids: number[]): number[][] {
  return tf.tidy(
    () =>
      tf
        .gather(weights.get('wte.weight') as tf.Variable, tf.tensor1d(ids, 'int32'))
        .arraySync() as number[][],
  );
}

describe('initSoftPrompt', () => {
  it('given TEXT with fewer tokens than virtual tokens, then the text embeddings repeat and truncate (PEFT)', () => {
    const prompt = initSoftPrompt({ ...base, init: 'TEXT', numVirtualTokens: 7, initTextIds: [5, 6, 7] });
    expect(prompt.arraySync()).toEqual(wteRows([5, 6, 7, 5, 6, 7, 5]));
    expect(prompt.trainable).toBe(true);
  });

  it('given TEXT with more tokens than virtual tokens, then it keeps the first ones', () => {
    const prompt = initSoftPrompt({ ...base, init: 'TEXT', numVirtualTokens: 2, initTextIds: [9, 8, 7] });
    expect(prompt.arraySync()).toEqual(wteRows([9, 8]));
  });

  it('given SAMPLE_VOCAB, then every row is a row of wte, the same for the same seed', () => {
    const prompt = initSoftPrompt({ ...base, init: 'SAMPLE_VOCAB', numVirtualTokens: 6 });
    const all = wteRows(Array.from({ length: TINY_CONFIG.vocab_size }, (_, i) => i)).map((r) => r.join());
    for (const row of prompt.arraySync()) expect(all).toContain(row.join());
    const again = initSoftPrompt({ ...base, init: 'SAMPLE_VOCAB', numVirtualTokens: 6 });
    expect(maxAbsDiff(prompt, again)).toBe(0);
  });

  it("given RANDOM, then values are N(0, 1) like PEFT's nn.Embedding, shaped [P, n_embd]", () => {
    const prompt = initSoftPrompt({ ...base, init: 'RANDOM', numVirtualTokens: 20 });
    expect(prompt.shape).toEqual([20, TINY_CONFIG.n_embd]);
    const { mean, variance } = tf.moments(prompt);
    expect(Math.abs(mean.dataSync()[0] as number)).toBeLessThan(0.2);
    expect(Math.sqrt(variance.dataSync()[0] as number)).toBeCloseTo(1, 0);
  });

  it('given TEXT without init tokens, then it throws a ModelInputError', () => {
    expect(() => initSoftPrompt({ ...base, init: 'TEXT', numVirtualTokens: 2 })).toThrow(ModelInputError);
  });

  it('given TEXT tokens outside the vocabulary, then it throws', () => {
    expect(() => initSoftPrompt({ ...base, init: 'TEXT', numVirtualTokens: 2, initTextIds: [50] })).toThrow(
      /50/,
    );
  });

  it('given weights without wte, then it throws a FormatError naming the tensor', () => {
    const init = () => initSoftPrompt({ ...base, weights: new Map(), init: 'RANDOM', numVirtualTokens: 1 });
    expect(init).toThrow(FormatError);
    expect(init).toThrow(/wte\.weight/);
  });

  it('given zero virtual tokens, then it throws naming the parameter', () => {
    expect(() => initSoftPrompt({ ...base, init: 'RANDOM', numVirtualTokens: 0 })).toThrow(
      /num_virtual_tokens/,
    );
  });
});

describe('the soft-prompt gradient', () => {
  it('given a next-token loss, then tf gradients agree with central finite differences', () => {
    const ids = tf.tensor2d([[4, 9, 2, 31, 7, 11]], [1, 6], 'int32');
    const targets = tf.oneHot(tf.tensor1d([9, 2, 31, 7, 11], 'int32'), TINY_CONFIG.vocab_size);
    const P = 3;
    const loss = (prompt: tf.Tensor) =>
      tf.tidy(() => {
        const logits = gpt2Forward(TINY_CONFIG, weights, ids, { prompt: prompt as tf.Tensor2D }).logits;
        const text = logits
          .slice([0, P, 0], [1, 5, TINY_CONFIG.vocab_size])
          .reshape([5, TINY_CONFIG.vocab_size]);
        return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(text), targets), -1))) as tf.Scalar;
      });
    const prompt = tf.randomNormal([P, TINY_CONFIG.n_embd], 0, 1, 'float32', 17);
    const analytic = tf.grad(loss)(prompt).arraySync() as number[][];
    const eps = 1e-2;
    // The entries with the largest gradients, where float32 differences are far above rounding noise.
    const entries = analytic
      .flatMap((row, i) => row.map((g, j) => ({ i, j, g })))
      .sort((a, b) => Math.abs(b.g) - Math.abs(a.g))
      .slice(0, 6);
    for (const { i, j, g } of entries) {
      const bump = tf.buffer([P, TINY_CONFIG.n_embd]);
      bump.set(eps, i, j);
      const delta = bump.toTensor();
      const plus = loss(tf.add(prompt, delta)).dataSync()[0] as number;
      const minus = loss(tf.sub(prompt, delta)).dataSync()[0] as number;
      const numeric = (plus - minus) / (2 * eps);
      expect(Math.abs(numeric - g) / Math.abs(g)).toBeLessThan(0.01);
    }
    expect(Math.abs(entries[0]?.g ?? 0)).toBeGreaterThan(1e-3);
  });
});

const adapter: PeftPromptConfig = {
  baseModelNameOrPath: 'attune-base',
  numVirtualTokens: 4,
  tokenDim: TINY_CONFIG.n_embd,
  promptTuningInit: 'TEXT',
  promptTuningInitText: 'Classify the ticket:',
  numLayers: 2,
  numAttentionHeads: 2,
};

describe('savePeftPrompt then loadPeftPrompt', () => {
  it("given a prompt, when saved, then adapter_config.json carries PEFT's keys and values", async () => {
    const out = path.join(dir, 'keys');
    await savePeftPrompt(out, tf.zeros([4, TINY_CONFIG.n_embd]) as tf.Tensor2D, adapter);
    const json = JSON.parse(await readFile(path.join(out, 'adapter_config.json'), 'utf8'));
    expect(json).toMatchObject({
      peft_type: 'PROMPT_TUNING',
      task_type: 'CAUSAL_LM',
      num_virtual_tokens: 4,
      token_dim: TINY_CONFIG.n_embd,
      num_transformer_submodules: 1,
      prompt_tuning_init: 'TEXT',
      prompt_tuning_init_text: 'Classify the ticket:',
      base_model_name_or_path: 'attune-base',
      tokenizer_name_or_path: 'attune-base',
      inference_mode: true,
      num_layers: 2,
      num_attention_heads: 2,
    });
  });

  it('given a saved prompt, when loaded, then values, config and the logits it produces are identical', async () => {
    const out = path.join(dir, 'round-trip');
    const prompt = initSoftPrompt({ ...base, init: 'RANDOM', numVirtualTokens: 4 });
    await savePeftPrompt(out, prompt, adapter);
    const loaded = await loadPeftPrompt(out);
    expect(loaded.config).toEqual(adapter);
    expect(maxAbsDiff(prompt, loaded.prompt)).toBe(0);
    const ids = tf.tensor2d([[1, 2, 3]], [1, 3], 'int32');
    const before = gpt2Forward(TINY_CONFIG, weights, ids, { prompt }).logits;
    const after = gpt2Forward(TINY_CONFIG, weights, ids, { prompt: loaded.prompt }).logits;
    expect(maxAbsDiff(before, after)).toBe(0);
  });

  it('given a prompt whose shape disagrees with the config, then saving throws', () => {
    expect(() => peftPromptToFiles(tf.zeros([3, TINY_CONFIG.n_embd]) as tf.Tensor2D, adapter)).toThrow(
      /num_virtual_tokens 4/,
    );
  });
});

describe('loadPeftPrompt rejects', () => {
  const good = () => peftPromptToFiles(tf.zeros([4, TINY_CONFIG.n_embd]) as tf.Tensor2D, adapter);

  it('given another PEFT method, then it throws a FormatError naming peft_type', () => {
    const files = good();
    const json = { ...JSON.parse(files.adapterConfigJson), peft_type: 'LORA' };
    expect(() => peftPromptFromFiles({ ...files, adapterConfigJson: JSON.stringify(json) })).toThrow(
      /peft_type/,
    );
  });

  it('given a tensor shape that disagrees with num_virtual_tokens, then it throws', () => {
    const files = good();
    const json = { ...JSON.parse(files.adapterConfigJson), num_virtual_tokens: 5 };
    expect(() => peftPromptFromFiles({ ...files, adapterConfigJson: JSON.stringify(json) })).toThrow(
      /has shape \[4, 16\]/,
    );
  });

  it('given weights without prompt_embeddings, then it throws', () => {
    const other = writeSafetensors(new Map([['x', { dtype: 'F32', shape: [1], data: new Float32Array(1) }]]));
    expect(() => peftPromptFromFiles({ ...good(), adapterModel: other })).toThrow(/prompt_embeddings/);
  });

  it('given an adapter_config.json that is not JSON, then it throws a FormatError', () => {
    expect(() => peftPromptFromFiles({ ...good(), adapterConfigJson: '{' })).toThrow(FormatError);
  });

  it('given a directory without adapter_model.safetensors, then it throws naming the file', async () => {
    const out = path.join(dir, 'half');
    await savePeftPrompt(out, tf.zeros([4, TINY_CONFIG.n_embd]) as tf.Tensor2D, adapter);
    await rm(path.join(out, 'adapter_model.safetensors'));
    await writeFile(path.join(out, 'README.md'), 'not weights');
    await expect(loadPeftPrompt(out)).rejects.toThrow(/adapter_model\.safetensors/);
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormatError } from '#core/errors.ts';
import { initBackend } from '#model/backend.ts';
import { disposeGpt2Weights, type Gpt2Weights, gpt2Forward, initGpt2Weights } from '#model/gpt2.ts';
import { loadModelDir, saveModelDir, weightsFromSafetensors } from '#model/model-dir.ts';
import { readSafetensors, type SafeTensor, writeSafetensors } from '#model/safetensors.ts';
import { maxAbsDiff, TINY_CONFIG } from './helpers.ts';

const TOKENIZER = '{"model":{"type":"BPE"}}';
let dir: string;
let weights: Gpt2Weights;

beforeAll(async () => {
  await initBackend({ log: () => {} });
  dir = await mkdtemp(path.join(tmpdir(), 'attune-model-dir-'));
  weights = initGpt2Weights(TINY_CONFIG, 3);
});

afterAll(async () => {
  disposeGpt2Weights(weights);
  await rm(dir, { recursive: true, force: true });
});

function tensorsOf(w: Gpt2Weights): Map<string, SafeTensor> {
  return readSafetensors(
    writeSafetensors(
      new Map(
        [...w].map(([name, v]) => [
          name,
          { dtype: 'F32', shape: [...v.shape], data: v.dataSync() as Float32Array },
        ]),
      ),
    ),
  );
}

describe('saveModelDir then loadModelDir', () => {
  it('given a model, when saved and loaded, then config, tokenizer and logits are the same', async () => {
    const out = path.join(dir, 'round-trip');
    await saveModelDir(out, { config: TINY_CONFIG, weights, tokenizerJson: TOKENIZER });
    const loaded = await loadModelDir(out);
    expect(loaded.config).toEqual(TINY_CONFIG);
    expect(loaded.tokenizerJson).toBe(TOKENIZER);
    const ids = tf.tensor2d([[1, 2, 3]], [1, 3], 'int32');
    const before = gpt2Forward(TINY_CONFIG, weights, ids).logits;
    const after = gpt2Forward(loaded.config, loaded.weights, ids).logits;
    expect(maxAbsDiff(before, after)).toBe(0);
    disposeGpt2Weights(loaded.weights);
  });
});

describe('loadModelDir rejects', () => {
  it('given a directory without tokenizer.json, then it throws a FormatError naming the file', async () => {
    const out = path.join(dir, 'no-tokenizer');
    await saveModelDir(out, { config: TINY_CONFIG, weights, tokenizerJson: TOKENIZER });
    await rm(path.join(out, 'tokenizer.json'));
    await expect(loadModelDir(out)).rejects.toThrow(/tokenizer\.json/);
  });

  it('given a config.json that is not JSON, then it throws a FormatError', async () => {
    const out = path.join(dir, 'bad-config');
    await saveModelDir(out, { config: TINY_CONFIG, weights, tokenizerJson: TOKENIZER });
    await writeFile(path.join(out, 'config.json'), '{n_layer');
    await expect(loadModelDir(out)).rejects.toThrow(FormatError);
  });
});

describe('weightsFromSafetensors', () => {
  it("given GPT2LMHeadModel names with HF's buffers and lm_head, then they load under GPT-2's names", () => {
    const tensors = new Map([...tensorsOf(weights)].map(([name, t]) => [`transformer.${name}`, t]));
    tensors.set('transformer.h.0.attn.bias', { dtype: 'F32', shape: [1], data: new Float32Array(1) });
    tensors.set('lm_head.weight', tensors.get('transformer.wte.weight') as SafeTensor);
    const loaded = weightsFromSafetensors(TINY_CONFIG, tensors);
    expect([...loaded.keys()].sort()).toEqual([...weights.keys()].sort());
    disposeGpt2Weights(loaded);
  });

  it('given a missing tensor, then it throws naming it and leaks nothing', () => {
    const tensors = tensorsOf(weights);
    tensors.delete('ln_f.bias');
    const before = tf.memory().numTensors;
    expect(() => weightsFromSafetensors(TINY_CONFIG, tensors)).toThrow(/missing tensor "ln_f\.bias"/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('given a tensor whose shape disagrees with the config, then it throws naming it', () => {
    const tensors = tensorsOf(weights);
    tensors.set('wpe.weight', { dtype: 'F32', shape: [2, 16], data: new Float32Array(32) });
    expect(() => weightsFromSafetensors(TINY_CONFIG, tensors)).toThrow(/"wpe\.weight" has shape \[2, 16\]/);
  });

  it('given a tensor GPT-2 does not have, then it throws naming it', () => {
    const tensors = tensorsOf(weights);
    tensors.set('h.0.attn.q_proj.weight', { dtype: 'F32', shape: [1], data: new Float32Array(1) });
    expect(() => weightsFromSafetensors(TINY_CONFIG, tensors)).toThrow(
      /unexpected tensor "h\.0\.attn\.q_proj\.weight"/,
    );
  });
});

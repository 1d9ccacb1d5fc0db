import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gpt2Config } from '#core/gpt2-config.ts';
import { initBackend } from '#model/backend.ts';
import { parseGpt2Config } from '#model/config.ts';
import { disposeGpt2Weights, type Gpt2Weights, gpt2Forward } from '#model/gpt2.ts';
import { weightsFromSafetensors } from '#model/model-dir.ts';
import { readSafetensors, type SafeTensor } from '#model/safetensors.ts';

/**
 * Attune's TF.js GPT-2 against an independent PyTorch forward pass (tests/reference/gpt2_reference.py),
 * on committed fixtures: a random 2-layer model, a batch with right and left padding, and the same batch
 * behind a soft prompt.
 */

const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures', 'reference');
const TOLERANCE = 1e-4;

let config: Gpt2Config;
let weights: Gpt2Weights;
let cases: Map<string, SafeTensor>;

function tensorOf(name: string): tf.Tensor {
  const t = cases.get(name);
  if (!t) throw new Error(`fixture lacks ${name}`);
  return tf.tensor(t.data as Float32Array | Int32Array, t.shape, t.dtype === 'I32' ? 'int32' : 'float32');
}

/** Largest |ours - reference| over the positions whose mask is 1 (padding outputs are never used). */
function maxErrorOnRealPositions(ours: tf.Tensor3D, reference: tf.Tensor, mask: tf.Tensor2D): number {
  return tf.tidy(() => {
    const diff = tf.max(tf.abs(tf.sub(ours, reference)), -1);
    return tf.max(tf.mul(diff, tf.cast(mask, 'float32'))).dataSync()[0] as number;
  });
}

beforeAll(async () => {
  await initBackend({ log: () => {} });
  config = parseGpt2Config(JSON.parse(await readFile(path.join(FIXTURES, 'config.json'), 'utf8')));
  weights = weightsFromSafetensors(
    config,
    readSafetensors(await readFile(path.join(FIXTURES, 'model.safetensors'))),
  );
  cases = readSafetensors(await readFile(path.join(FIXTURES, 'cases.safetensors')));
});

afterAll(() => disposeGpt2Weights(weights));

describe('gpt2Forward against the PyTorch reference', () => {
  it('given a padded batch, then logits at every real position match within 1e-4', () => {
    const ids = tensorOf('input_ids') as tf.Tensor2D;
    const mask = tensorOf('attention_mask') as tf.Tensor2D;
    const { logits } = gpt2Forward(config, weights, ids, { attentionMask: mask });
    const reference = tensorOf('logits');
    expect(logits.shape).toEqual(reference.shape);
    // The reference logits are not small: a match is not a coincidence of near-zero values.
    expect(tf.max(tf.abs(reference)).dataSync()[0]).toBeGreaterThan(1);
    expect(maxErrorOnRealPositions(logits, reference, mask)).toBeLessThan(TOLERANCE);
  });

  it('given the batch behind a soft prompt, then logits over prompt and text match within 1e-4', () => {
    const ids = tensorOf('input_ids') as tf.Tensor2D;
    const mask = tensorOf('attention_mask') as tf.Tensor2D;
    const prompt = tensorOf('prompt') as tf.Tensor2D;
    const { logits } = gpt2Forward(config, weights, ids, { attentionMask: mask, prompt });
    const reference = tensorOf('prompt_logits');
    expect(logits.shape).toEqual(reference.shape);
    const fullMask = tf.concat([tf.ones([ids.shape[0], prompt.shape[0]]), mask], 1) as tf.Tensor2D;
    expect(maxErrorOnRealPositions(logits, reference, fullMask)).toBeLessThan(TOLERANCE);
  });
});

import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '#model/backend.ts';
import { disposeGpt2Weights, type Gpt2Weights, gpt2Forward, initGpt2Weights } from '#model/gpt2.ts';
import { TINY_CONFIG } from './helpers.ts';

/**
 * Full fine-tuning gradients on wasm (with Attune's kernels: matmul transposes, segment sum for the
 * embedding) against the same computation on TF.js's cpu backend, whose kernels are independent.
 */

let weights: Gpt2Weights;

beforeAll(async () => {
  await initBackend({ log: () => {} });
  weights = initGpt2Weights(TINY_CONFIG, 13);
  for (const v of weights.values()) v.assign(tf.mul(v, 5));
});

afterAll(async () => {
  disposeGpt2Weights(weights);
  await tf.setBackend('wasm');
});

function gradients(): Map<string, Float32Array> {
  const ids = tf.tensor2d(
    [
      [3, 7, 7, 12, 40],
      [9, 3, 1, 0, 0],
    ],
    [2, 5],
    'int32',
  );
  const mask = tf.tensor2d([
    [1, 1, 1, 1, 1],
    [1, 1, 1, 0, 0],
  ]);
  const prompt = tf.variable(tf.randomNormal([2, TINY_CONFIG.n_embd], 0, 1, 'float32', 3));
  const names = new Map([...weights].map(([name, v]) => [v.name, name]));
  names.set(prompt.name, 'prompt');
  const { grads } = tf.variableGrads(() =>
    tf.tidy(() => {
      const logits = gpt2Forward(TINY_CONFIG, weights, ids, {
        attentionMask: mask,
        prompt: prompt as tf.Tensor2D,
      }).logits;
      const probe = tf.randomNormal(logits.shape, 0, 1, 'float32', 4);
      return tf.sum(tf.mul(logits, probe)) as tf.Scalar;
    }),
  );
  const out = new Map<string, Float32Array>();
  for (const [variable, grad] of Object.entries(grads))
    out.set(names.get(variable) ?? variable, grad.dataSync() as Float32Array);
  prompt.dispose();
  return out;
}

describe('gpt2 gradients on wasm', () => {
  it('given a loss over a padded, prompted batch, then every gradient matches the cpu backend', async () => {
    const onWasm = gradients();
    await tf.setBackend('cpu');
    const onCpu = gradients();
    await tf.setBackend('wasm');
    expect([...onWasm.keys()].sort()).toEqual([...onCpu.keys()].sort());
    expect(onWasm.size).toBe(weights.size + 1);
    for (const [name, wasm] of onWasm) {
      const cpu = onCpu.get(name) as Float32Array;
      const scale = Math.max(...cpu.map(Math.abs));
      const error = Math.max(...wasm.map((v, i) => Math.abs(v - (cpu[i] as number))));
      expect(scale, name).toBeGreaterThan(0);
      expect(error / scale, name).toBeLessThan(1e-4);
    }
  });
});

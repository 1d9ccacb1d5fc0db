import * as tf from '@tensorflow/tfjs';
import type { Gpt2Config } from '#core/gpt2-config.ts';
import { type Gpt2Weights, initGpt2Weights } from '#model/gpt2.ts';
import type { TokenizedExample } from '#model/train-batch.ts';

/** A model small enough for a unit test: a training step takes milliseconds on wasm. */
export const TINY: Gpt2Config = {
  n_layer: 2,
  n_head: 2,
  n_embd: 32,
  n_positions: 32,
  vocab_size: 32,
  layer_norm_epsilon: 1e-5,
};

const SEPARATOR = 30;

/** "x SEP → x+10": learnable only by changing what the model computes, i.e. full fine-tuning. */
export function mappingTask(): TokenizedExample[] {
  return Array.from({ length: 10 }, (_, i) => ({
    inputIds: [i + 1, SEPARATOR, i + 11],
    lossMask: [0, 0, 1],
  }));
}

/** "x SEP → 7" whatever x: a fixed answer, which a soft prompt can steer a frozen model towards. */
export function constantTask(): TokenizedExample[] {
  return Array.from({ length: 10 }, (_, i) => ({ inputIds: [i + 1, SEPARATOR, 7], lossMask: [0, 0, 1] }));
}

/**
 * A frozen base for prompt tuning with a trained model's weight scale (std ≈ 0.2): at GPT-2's init scale
 * (0.02) attention is uniform and values vanish, so no prompt could steer it and the test would prove nothing.
 */
export function trainedScaleWeights(seed: number): Gpt2Weights {
  const weights = initGpt2Weights(TINY, seed);
  for (const [name, v] of weights) {
    if (v.rank === 2) tf.tidy(() => v.assign(tf.mul(v, name.endsWith('c_proj.weight') ? 5 : 10)));
  }
  return weights;
}

/** Every weight's bytes, for a bit-exact before/after comparison. */
export function weightBytes(weights: Gpt2Weights): Map<string, Buffer> {
  return new Map(
    [...weights].map(([name, v]) => [name, Buffer.from((v.dataSync() as Float32Array).slice().buffer)]),
  );
}

export function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

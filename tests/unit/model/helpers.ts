import * as tf from '@tensorflow/tfjs';
import type { Gpt2Config } from '#core/gpt2-config.ts';

/** A model small enough that every test using it runs in milliseconds. */
export const TINY_CONFIG: Gpt2Config = {
  n_layer: 2,
  n_head: 2,
  n_embd: 16,
  n_positions: 32,
  vocab_size: 50,
  layer_norm_epsilon: 1e-5,
};

/** Largest absolute element-wise difference between two tensors. */
export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number);
}

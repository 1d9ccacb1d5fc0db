import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '#model/backend.ts';
import { disposeGpt2Weights, type Gpt2Weights, gpt2Forward, initGpt2Weights } from '#model/gpt2.ts';
import { maxAbsDiff, TINY_CONFIG } from './helpers.ts';

/** `logitRows`: logits at chosen positions only, equal to those rows of the full logits. */

let weights: Gpt2Weights;

beforeAll(async () => {
  await initBackend({ log: () => {} });
  weights = initGpt2Weights(TINY_CONFIG, 3);
});

afterAll(() => disposeGpt2Weights(weights));

const ids = () =>
  tf.tensor2d(
    [
      [3, 7, 9, 1],
      [4, 4, 2, 0],
    ],
    [2, 4],
    'int32',
  );
const attentionMask = () =>
  tf.tensor2d([
    [1, 1, 1, 1],
    [1, 1, 1, 0],
  ]);

describe('gpt2Forward with logitRows', () => {
  it('given rows behind a soft prompt, then the logits equal those rows of the full logits', () => {
    const prompt = tf.randomNormal([3, TINY_CONFIG.n_embd], 0, 0.1, 'float32', 4) as tf.Tensor2D;
    const rows = [3, 5, 6, 10, 12];
    const full = gpt2Forward(TINY_CONFIG, weights, ids(), { attentionMask: attentionMask(), prompt }).logits;
    const some = gpt2Forward(TINY_CONFIG, weights, ids(), {
      attentionMask: attentionMask(),
      prompt,
      logitRows: tf.tensor1d(rows, 'int32'),
    }).logits;
    expect(some.shape).toEqual([1, rows.length, TINY_CONFIG.vocab_size]);
    const expected = tf.gather(tf.reshape(full, [-1, TINY_CONFIG.vocab_size]), rows);
    expect(maxAbsDiff(tf.reshape(some, expected.shape), expected)).toBeLessThan(1e-5);
  });

  it('given logitRows with lastPositionOnly, then it refuses the combination', () => {
    expect(() =>
      gpt2Forward(TINY_CONFIG, weights, ids(), {
        logitRows: tf.tensor1d([0], 'int32'),
        lastPositionOnly: true,
      }),
    ).toThrow(/cannot be combined/);
  });
});

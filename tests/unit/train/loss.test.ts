import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { maskedCrossEntropy, tokenAccuracy } from '#model/loss.ts';
import { useTrainingBackend } from './backend.ts';

beforeAll(useTrainingBackend);

/** The textbook formulation, differentiated by autodiff: the reference the fast path must match. */
function naiveCrossEntropy(logits: tf.Tensor3D, targets: tf.Tensor2D, mask: tf.Tensor2D): tf.Scalar {
  const v = logits.shape[2];
  const nll = tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(targets, v)), -1));
  return tf.div(tf.sum(tf.mul(nll, mask)), tf.sum(mask)) as tf.Scalar;
}

const logits = () => tf.randomNormal([2, 3, 7], 0, 2, 'float32', 11) as tf.Tensor3D;
const targets = () =>
  tf.tensor2d(
    [
      [1, 6, 0],
      [3, 3, 2],
    ],
    [2, 3],
    'int32',
  );
const mask = () =>
  tf.tensor2d([
    [1, 1, 0],
    [0, 1, 1],
  ]);

describe('maskedCrossEntropy', () => {
  it('given random logits and a mask, when evaluated, then it equals the one-hot log-softmax mean', () => {
    const x = logits();
    const fast = maskedCrossEntropy(x, { targets: targets(), mask: mask() }).dataSync()[0];
    const naive = naiveCrossEntropy(x, targets(), mask()).dataSync()[0];
    expect(fast).toBeCloseTo(naive ?? Number.NaN, 5);
  });

  it('given random logits and a mask, when differentiated, then its gradient equals autodiff of the naive loss', () => {
    const x = logits();
    const t = targets();
    const m = mask();
    const fast = tf
      .grad((l) => maskedCrossEntropy(l as tf.Tensor3D, { targets: t, mask: m }))(x)
      .dataSync();
    const naive = tf
      .grad((l) => naiveCrossEntropy(l as tf.Tensor3D, t, m))(x)
      .dataSync();
    expect(fast).toHaveLength(42);
    fast.forEach((g, i) => {
      expect(g).toBeCloseTo(naive[i] ?? Number.NaN, 5);
    });
  });

  it('given a mask of zeros, when evaluated and differentiated, then loss and gradient are zero, not NaN', () => {
    const zeros = tf.zeros([2, 3]) as tf.Tensor2D;
    const t = targets();
    const f = (l: tf.Tensor) => maskedCrossEntropy(l as tf.Tensor3D, { targets: t, mask: zeros });
    expect(f(logits()).dataSync()[0]).toBe(0);
    expect(Array.from(tf.grad(f)(logits()).dataSync()).every((g) => g === 0)).toBe(true);
  });

  it('given targets of another shape, when evaluated, then it throws a RangeError naming the shapes', () => {
    const wrong = tf.tensor2d([[1, 2]], [1, 2], 'int32');
    expect(() => maskedCrossEntropy(logits(), { targets: wrong, mask: mask() })).toThrow(
      /do not match targets/,
    );
  });

  it('given its gradient is taken, when the gradient is disposed, then no tensor leaks', () => {
    const x = logits();
    const t = targets();
    const m = mask();
    const before = tf.memory().numTensors;
    tf.grad((l) => maskedCrossEntropy(l as tf.Tensor3D, { targets: t, mask: m }))(x).dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('tokenAccuracy', () => {
  it('given logits peaked on known ids, when measured, then it counts only masked hits', () => {
    const predicted = [
      [1, 0, 0],
      [3, 3, 5],
    ];
    const peaked = tf.oneHot(tf.tensor2d(predicted, [2, 3], 'int32'), 7) as tf.Tensor3D;
    // Masked positions: (0,0) hit, (0,1) miss, (1,1) hit, (1,2) miss; the unmasked (0,2) hit is ignored.
    expect(tokenAccuracy(tf.cast(peaked, 'float32'), { targets: targets(), mask: mask() })).toEqual({
      correct: 2,
      total: 4,
    });
  });
});

import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, registerWasmKernels } from '#model/backend.ts';
import {
  hasCrossEntropyKernels,
  softmaxCrossEntropyRows,
  softmaxCrossEntropyRowsGrad,
} from '#model/kernels/cross-entropy.ts';
import { maskedCrossEntropy } from '#model/loss.ts';
import { loadNativeBlas } from '#model/native/native-blas.ts';
import { maxAbsDiff } from './helpers.ts';

/**
 * The compiled softmax cross-entropy kernels (native addon) against tf's own log-softmax, softmax and
 * one-hot, and the loss built on them against the tf-op loss; without the addon, the kernels are absent.
 */

const loaded = await loadNativeBlas();
const native = loaded.ok ? loaded.native.blas : undefined;

beforeAll(async () => {
  await initBackend({ log: () => {} });
});

afterAll(() => registerWasmKernels(native));

const ids = () => tf.tensor1d([0, 5, 9, 3], 'int32');

describe('the loss kernels without the native addon', () => {
  it('given the pure wasm kernels, then the compiled loss kernels are not registered', () => {
    registerWasmKernels();
    expect(hasCrossEntropyKernels()).toBe(false);
  });
});

if (native) {
  describe('compiled softmax cross-entropy kernels', () => {
    it('given logits spread over ±60 (exp underflows in places), then nll and softmax match tf', () => {
      registerWasmKernels(native);
      const logits = tf.randomNormal([4, 10], 0, 30, 'float32', 1) as tf.Tensor2D;
      const [nll, probs] = softmaxCrossEntropyRows(logits, ids());
      const expectedNll = tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(ids(), 10)), 1));
      expect(maxAbsDiff(nll, expectedNll)).toBeLessThan(1e-4);
      expect(maxAbsDiff(probs, tf.softmax(logits))).toBeLessThan(1e-6);
    });

    it('given a row scale, then the gradient is scale·(softmax − one-hot)', () => {
      registerWasmKernels(native);
      const logits = tf.randomNormal([4, 10], 0, 2, 'float32', 2) as tf.Tensor2D;
      const [, probs] = softmaxCrossEntropyRows(logits, ids());
      const scale = tf.tensor1d([0.5, 0, 1, 0.25]);
      const grad = softmaxCrossEntropyRowsGrad(probs, ids(), scale);
      const expected = tf.mul(tf.sub(tf.softmax(logits), tf.oneHot(ids(), 10)), tf.reshape(scale, [-1, 1]));
      expect(maxAbsDiff(grad, expected)).toBeLessThan(1e-6);
    });

    it('given a target outside the vocabulary, then it throws a RangeError', () => {
      registerWasmKernels(native);
      expect(() =>
        softmaxCrossEntropyRows(tf.zeros([1, 4]) as tf.Tensor2D, tf.tensor1d([4], 'int32')),
      ).toThrow(/outside the vocabulary/);
    });

    it('given a masked loss, then value and gradient equal those of the tf-op loss', () => {
      const logits = tf.randomNormal([2, 3, 50], 0, 3, 'float32', 3) as tf.Tensor3D;
      const targets = {
        targets: tf.tensor2d([1, 49, 0, 7, 7, 20], [2, 3], 'int32') as tf.Tensor2D,
        mask: tf.tensor2d([1, 0, 1, 1, 1, 0], [2, 3]) as tf.Tensor2D,
      };
      const run = () =>
        tf.valueAndGrad((x: tf.Tensor) => maskedCrossEntropy(x as tf.Tensor3D, targets))(logits);
      registerWasmKernels();
      const plain = run();
      registerWasmKernels(native);
      expect(hasCrossEntropyKernels()).toBe(true);
      const compiled = run();
      expect(compiled.value.dataSync()[0]).toBeCloseTo(plain.value.dataSync()[0] as number, 5);
      expect(maxAbsDiff(compiled.grad, plain.grad)).toBeLessThan(1e-6);
    });
  });
}

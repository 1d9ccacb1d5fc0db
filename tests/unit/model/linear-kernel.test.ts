import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, registerWasmKernels } from '#model/backend.ts';
import { hasLinearKernel, linear } from '#model/kernels/linear.ts';
import { loadNativeBlas, type NativeBlas } from '#model/native/native-blas.ts';
import { maxAbsDiff } from './helpers.ts';

/**
 * The linear kernel with per-input gradients against `tf.fused.matMul`, on the pure wasm and the native
 * kernels: the same values and gradients, and only the gradients asked for are computed.
 */

const loaded = await loadNativeBlas();
const native = loaded.ok ? loaded.native.blas : undefined;
let products = 0;

/** The addon with its matrix products counted. */
function counted(blas: NativeBlas): NativeBlas {
  return {
    ...blas,
    sgemm: (...args) => {
      products += 1;
      blas.sgemm(...args);
    },
  };
}

beforeAll(async () => {
  await initBackend({ log: () => {} });
});

afterAll(() => registerWasmKernels(native));

const x = () => tf.randomNormal([12, 8], 0, 1, 'float32', 1) as tf.Tensor2D;
const w = () => tf.randomNormal([8, 5], 0, 1, 'float32', 2);
const b = () => tf.randomNormal([5], 0, 1, 'float32', 3);
const fused = (a: tf.Tensor, m: tf.Tensor, c: tf.Tensor) =>
  tf.fused.matMul({ a: a as tf.Tensor2D, b: m as tf.Tensor2D, bias: c });
const ours = (a: tf.Tensor, m: tf.Tensor, c: tf.Tensor) => linear(a as tf.Tensor2D, m, c);
const weighted = (f: typeof fused) => (a: tf.Tensor, m: tf.Tensor, c: tf.Tensor) =>
  tf.sum(tf.mul(f(a, m, c), tf.linspace(-1, 1, 60).reshape([12, 5])));

for (const implementation of native ? (['pure', 'native'] as const) : (['pure'] as const)) {
  describe(`the linear kernel over the ${implementation} matmul`, () => {
    const use = () => registerWasmKernels(implementation === 'native' ? native : undefined);

    it('given x, w and b, then x·w + b matches tf.fused.matMul', () => {
      use();
      expect(hasLinearKernel()).toBe(true);
      expect(maxAbsDiff(ours(x(), w(), b()), fused(x(), w(), b()))).toBeLessThan(1e-5);
    });

    it('given a weighted sum, then the gradients of x, w and b match tf.fused.matMul', () => {
      use();
      const expected = tf.grads(weighted(fused))([x(), w(), b()]);
      const actual = tf.grads(weighted(ours))([x(), w(), b()]);
      for (const [i, g] of actual.entries())
        expect(maxAbsDiff(g, expected[i] as tf.Tensor)).toBeLessThan(1e-5);
    });
  });
}

describe('the linear kernel arguments', () => {
  it('given a weight that does not fit x, then it throws a RangeError naming the shapes', () => {
    registerWasmKernels(native);
    expect(() => linear(x(), tf.zeros([7, 5]), b())).toThrow(/x \[12,8\], w \[7,5\]/);
  });
});

if (native) {
  describe('gradients asked for', () => {
    it('given only the gradient of x (frozen weights, as in prompt tuning), then no product for w is computed', () => {
      registerWasmKernels(counted(native));
      const [wt, bt] = [w(), b()];
      products = 0;
      tf.grad((a: tf.Tensor) => weighted(ours)(a, wt, bt))(x());
      const ourProducts = products;
      products = 0;
      tf.grad((a: tf.Tensor) => weighted(fused)(a, wt, bt))(x());
      expect(ourProducts).toBe(2);
      expect(products).toBe(3);
    });
  });
}

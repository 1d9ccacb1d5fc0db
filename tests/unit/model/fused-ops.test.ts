import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { initBackend, registerWasmKernels } from '#model/backend.ts';
import { fusedGelu, fusedLayerNorm, hasFusedKernels } from '#model/kernels/fused-ops.ts';
import { loadNativeBlas, type NativeBlas } from '#model/native/native-blas.ts';
import { maxAbsDiff } from './helpers.ts';

/** The fused wasm GELU and LayerNorm kernels against the tf-op formulations they replace, both directions. */

function compositeGelu(x: tf.Tensor): tf.Tensor {
  const inner = tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), Math.sqrt(2 / Math.PI));
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
}

function compositeLayerNorm(x: tf.Tensor, gain: tf.Tensor, bias: tf.Tensor, eps: number): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), gain), bias);
}

// The loops in JS, and compiled in the native addon where this machine builds it.
const loaded = await loadNativeBlas();
const native: NativeBlas | undefined = loaded.ok ? loaded.native.blas : undefined;

beforeAll(async () => {
  await initBackend({ log: () => {} });
});

afterAll(() => registerWasmKernels(native));

for (const implementation of native ? (['js', 'native'] as const) : (['js'] as const)) {
  describe(`fused kernels on wasm (${implementation} loops)`, () => {
    beforeEach(() => {
      registerWasmKernels(implementation === 'native' ? native : undefined);
    });

    it('given the wasm backend, then the fused kernels are registered', () => {
      expect(hasFusedKernels()).toBe(true);
    });

    it('given inputs from -12 to 12 (tanh saturated at both ends), then GELU matches the tf ops', () => {
      const x = tf.linspace(-12, 12, 4001).reshape([1, 4001]) as tf.Tensor2D;
      expect(maxAbsDiff(fusedGelu(x), compositeGelu(x))).toBeLessThan(1e-5);
    });

    it('given a weighted sum of GELU, then its gradient matches the tf ops', () => {
      const x = tf.randomNormal([64, 48], 0, 3, 'float32', 1) as tf.Tensor2D;
      const w = tf.randomNormal([64, 48], 0, 1, 'float32', 2);
      const fused = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(fusedGelu(v as tf.Tensor2D), w)))(x);
      const plain = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(compositeGelu(v), w)))(x);
      expect(maxAbsDiff(fused, plain)).toBeLessThan(1e-5);
    });

    it('given rows with offsets and scales, then LayerNorm matches the tf ops', () => {
      const x = tf.add(tf.randomNormal([40, 24], 0, 5, 'float32', 3), 7) as tf.Tensor2D;
      const gain = tf.randomNormal([24], 1, 0.5, 'float32', 4);
      const bias = tf.randomNormal([24], 0, 1, 'float32', 5);
      expect(
        maxAbsDiff(fusedLayerNorm(x, gain, bias, 1e-5), compositeLayerNorm(x, gain, bias, 1e-5)),
      ).toBeLessThan(1e-5);
    });

    it('given a weighted sum of LayerNorm, then the gradients of x, gain and bias match the tf ops', () => {
      const x = tf.randomNormal([40, 24], 0, 2, 'float32', 6) as tf.Tensor2D;
      const gain = tf.randomNormal([24], 1, 0.5, 'float32', 7);
      const bias = tf.randomNormal([24], 0, 1, 'float32', 8);
      const w = tf.randomNormal([40, 24], 0, 1, 'float32', 9);
      const loss = (norm: typeof compositeLayerNorm) => (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(norm(a, g, b, 1e-5), w));
      const fused = tf.grads(loss((a, g, b, e) => fusedLayerNorm(a as tf.Tensor2D, g, b, e)))([
        x,
        gain,
        bias,
      ]);
      const plain = tf.grads(loss(compositeLayerNorm))([x, gain, bias]);
      fused.forEach((g, i) => {
        expect(g.shape).toEqual((plain[i] as tf.Tensor).shape);
        expect(maxAbsDiff(g, plain[i] as tf.Tensor)).toBeLessThan(1e-4);
      });
    });

    it('given a fused LayerNorm in a gradient, then no tensor is left behind', () => {
      const x = tf.randomNormal([8, 16], 0, 1, 'float32', 10) as tf.Tensor2D;
      const gain = tf.ones([16]);
      const bias = tf.zeros([16]);
      const before = tf.memory().numTensors;
      tf.dispose(tf.grads((a: tf.Tensor) => tf.sum(fusedLayerNorm(a as tf.Tensor2D, gain, bias, 1e-5)))([x]));
      expect(tf.memory().numTensors).toBe(before);
    });
  });
}

describe('fused kernels elsewhere', () => {
  it('given the cpu backend, then the fused kernels are reported absent (callers use tf ops)', async () => {
    await tf.setBackend('cpu');
    try {
      expect(hasFusedKernels()).toBe(false);
    } finally {
      await tf.setBackend('wasm');
    }
  });
});

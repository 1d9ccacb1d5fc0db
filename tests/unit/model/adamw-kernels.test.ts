import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, registerWasmKernels } from '#model/backend.ts';
import { ADAMW, adamwStep, hasAdamWKernels, SUM_OF_SQUARES, sumOfSquares } from '#model/kernels/adamw.ts';
import { loadNativeBlas, type NativeBlas } from '#model/native/native-blas.ts';
import { AdamW } from '#model/optimizer.ts';

/**
 * AdamW's one-kernel update and gradient norm (JS loops, and compiled where the addon builds) against the
 * tf-op update they replace: the same bits for the parameters and moments, the same norm within rounding.
 */

const loaded = await loadNativeBlas();
const native = loaded.ok ? loaded.native.blas : undefined;

beforeAll(async () => {
  await initBackend({ log: () => {} });
});

afterAll(() => registerWasmKernels(native));

interface Trained {
  params: number[][];
  moments: number[][];
  gradNorms: number[];
}

/** Three clipped, decayed steps on two tensors (one decayed, one not), from fixed starting values. */
function train(): Trained {
  const w = tf.variable(tf.randomNormal([6, 5], 0, 1, 'float32', 1));
  const b = tf.variable(tf.randomNormal([5], 0, 1, 'float32', 2));
  const named = new Map([
    ['h.0.mlp.c_fc.weight', w],
    ['h.0.mlp.c_fc.bias', b],
  ]);
  const opt = new AdamW(named, { weightDecay: 0.1, maxGradNorm: 1 });
  const gradNorms = [1, 2, 3].map((seed) => {
    const grads = {
      'h.0.mlp.c_fc.weight': tf.randomNormal([6, 5], 0, 2, 'float32', 10 + seed),
      'h.0.mlp.c_fc.bias': tf.randomNormal([5], 0, 2, 'float32', 20 + seed),
    };
    return opt.applyGradients(grads, 0.01).gradNorm;
  });
  const moments = [...opt.snapshot().moments.values()].flatMap(({ m, v }) => [Array.from(m), Array.from(v)]);
  const params = [Array.from(w.dataSync()), Array.from(b.dataSync())];
  opt.dispose();
  tf.dispose([w, b]);
  return { params, moments, gradNorms };
}

/** The tf-op update: the wasm backend without the AdamW kernels. */
function trainWithTfOps(): Trained {
  registerWasmKernels();
  tf.unregisterKernel(ADAMW, 'wasm');
  tf.unregisterKernel(SUM_OF_SQUARES, 'wasm');
  try {
    expect(hasAdamWKernels()).toBe(false);
    return train();
  } finally {
    registerWasmKernels(native);
  }
}

for (const implementation of native ? (['js', 'native'] as const) : (['js'] as const)) {
  describe(`AdamW kernels (${implementation} loops)`, () => {
    const use = () => registerWasmKernels(implementation === 'native' ? native : undefined);

    it('given clipped, decayed steps, when run by the kernels, then parameters and moments equal the tf-op update bit for bit', () => {
      const expected = trainWithTfOps();
      use();
      const actual = train();
      expect(actual.params).toEqual(expected.params);
      expect(actual.moments).toEqual(expected.moments);
    });

    it('given the same gradients, when the kernels take the global norm, then it matches the tf-op norm within float32 rounding', () => {
      const expected = trainWithTfOps();
      use();
      const actual = train();
      actual.gradNorms.forEach((norm, i) => {
        expect(Math.abs(norm - (expected.gradNorms[i] as number)) / norm).toBeLessThan(1e-6);
      });
    });

    it('given a tensor that shares the parameter buffer (zero-copy Identity), when a step runs, then the shared values are unchanged', () => {
      use();
      const p = tf.variable(tf.tensor1d([1, 2, 3]));
      const alias = tf.clone(p);
      const opt = new AdamW(new Map([['p', p]]));
      opt.applyGradients({ p: tf.tensor1d([0.5, -0.5, 1]) }, 0.1);
      expect(Array.from(alias.dataSync())).toEqual([1, 2, 3]);
      expect(Array.from(p.dataSync())).not.toEqual([1, 2, 3]);
    });

    it('given gradients of norm 5, when summed, then the sum of squares is 25', () => {
      use();
      expect(sumOfSquares([tf.tensor1d([3]), tf.tensor2d([[4, 0]])])).toBeCloseTo(25, 6);
    });
  });
}

describe('AdamW kernel arguments', () => {
  const scalars = {
    gradScale: 1,
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-8,
    vCorrection: 1,
    decay: 1,
    stepSize: 0.1,
  };

  it('given a gradient of another shape, when a step is asked for, then it throws a RangeError naming it', () => {
    registerWasmKernels(native);
    const p = tf.zeros([2, 2]);
    expect(() => adamwStep(p, tf.zeros([4]), tf.zeros([2, 2]), tf.zeros([2, 2]), scalars)).toThrow(
      /AdamW grad \[4\]/,
    );
  });

  it('given int32 moments, when a step is asked for, then it throws a RangeError', () => {
    registerWasmKernels(native);
    const p = tf.zeros([2]);
    expect(() => adamwStep(p, tf.zeros([2]), tf.zeros([2], 'int32'), tf.zeros([2]), scalars)).toThrow(
      RangeError,
    );
  });

  it('given an int32 tensor, when its sum of squares is asked for, then it throws a RangeError', () => {
    registerWasmKernels(native);
    expect(() => sumOfSquares([tf.tensor1d([1], 'int32')])).toThrow(RangeError);
  });
});

if (native) {
  describe('the compiled adamw call', () => {
    const args = (n: number, last: number, scalars: number) =>
      [
        ...Array.from({ length: 6 }, () => new Float32Array(n)),
        new Float32Array(last),
        new Float64Array(scalars),
      ] as Parameters<NativeBlas['adamw']>;

    it('given arrays of different lengths, then it throws a RangeError', () => {
      expect(() => native.adamw(...args(4, 3, 9))).toThrow(RangeError);
    });

    it('given scalars that are not a Float64Array of 9, then it throws a TypeError', () => {
      expect(() => native.adamw(...args(2, 2, 8))).toThrow(TypeError);
    });
  });
}

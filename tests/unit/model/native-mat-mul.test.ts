import { existsSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, registerWasmKernels } from '#model/backend.ts';
import { loadNativeBlas, type NativeBlas, type NativeBlasOutcome } from '#model/native/native-blas.ts';
import { maxAbsDiff } from './helpers.ts';

/**
 * The native OpenBLAS matmul kernels against the pure wasm ones, on the same random inputs: every
 * transpose combination, batched, broadcast and bias cases, and what falls back to pure wasm. Where the
 * machine cannot build the addon, a JS sgemm with the addon's contract stands in, so the kernels' own
 * planning (shapes, strides, broadcast, bias) is still checked.
 */

function notMatMul(): never {
  throw new Error('not a matmul');
}

/** The addon's contract in plain JS (row-major, params: batch, batchA, batchB, m, n, k, transA, transB). */
const jsBlas: NativeBlas = {
  sgemm(a, b, c, p, bias) {
    const [batch, batchA, batchB, m, n, k, ta, tb] = p as unknown as number[] as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    for (let i = 0; i < batch; i++) {
      const ao = (batchA === 1 ? 0 : i) * m * k;
      const bo = (batchB === 1 ? 0 : i) * k * n;
      for (let r = 0; r < m; r++) {
        for (let col = 0; col < n; col++) {
          let s = bias ? (bias[col] as number) : 0;
          for (let j = 0; j < k; j++) {
            const av = a[ao + (ta ? j * m + r : r * k + j)] as number;
            const bv = b[bo + (tb ? col * k + j : j * n + col)] as number;
            s += av * bv;
          }
          c[i * m * n + r * n + col] = s;
        }
      }
    }
  },
  setThreads: () => 1,
  config: () => 'js',
  // The fused element-wise loops are not part of the matmul contract (fused-ops.test.ts covers them).
  gelu: notMatMul,
  geluGrad: notMatMul,
  layerNorm: notMatMul,
  layerNormGrad: notMatMul,
  softmaxCrossEntropy: notMatMul,
  softmaxCrossEntropyGrad: notMatMul,
  // A bias gradient sums over leading axes (the native Sum kernel): part of what these tests exercise.
  sumLeading(rows, cols, x, out) {
    out.fill(0, 0, cols);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < cols; j++) out[j] = (out[j] as number) + (x[r * cols + j] as number);
    }
  },
  sumSquares: notMatMul,
  gatherRows: notMatMul,
  adamw: notMatMul,
};

let outcome: NativeBlasOutcome;
let blas: NativeBlas;
let calls = 0;

/** The native kernels' result and the pure wasm kernels' result of the same computation. */
function bothWays(compute: () => tf.Tensor): { native: tf.Tensor; pure: tf.Tensor; nativeCalls: number } {
  registerWasmKernels();
  const pure = compute();
  registerWasmKernels(blas);
  calls = 0;
  const native = compute();
  return { native, pure, nativeCalls: calls };
}

function random(shape: number[], seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}

function swapLast(shape: number[], transpose: boolean): number[] {
  if (!transpose) return shape;
  return [...shape.slice(0, -2), shape.at(-1) as number, shape.at(-2) as number];
}

beforeAll(async () => {
  await initBackend({ log: () => {} });
  outcome = await loadNativeBlas();
  const inner = outcome.ok ? outcome.native.blas : jsBlas;
  blas = {
    ...inner,
    sgemm: (...args) => {
      calls += 1;
      inner.sgemm(...args);
    },
  };
});

afterAll(() => {
  registerWasmKernels(outcome.ok ? outcome.native.blas : undefined);
});

describe('the native sgemm addon', () => {
  it('given g++, Node headers and OpenBLAS on this machine, then it builds and loads (else it says why not)', () => {
    const toolchain =
      ['/usr/bin/g++', '/usr/lib/x86_64-linux-gnu/libopenblas.so.0'].every((f) => existsSync(f)) &&
      existsSync(path.join(path.dirname(path.dirname(process.execPath)), 'include', 'node', 'node_api.h'));
    expect(outcome.ok).toBe(toolchain);
    if (outcome.ok) expect(outcome.native.threads).toBeGreaterThan(0);
    else expect(outcome.reason.length).toBeGreaterThan(0);
  });
});

describe('native BatchMatMul against the pure wasm kernel', () => {
  const shapes: [number[], number[]][] = [
    [
      [7, 5],
      [5, 9],
    ],
    [
      [3, 7, 5],
      [3, 5, 9],
    ],
    [
      [3, 7, 5],
      [1, 5, 9],
    ],
    [
      [1, 7, 5],
      [3, 5, 9],
    ],
    [
      [2, 3, 7, 5],
      [5, 9],
    ],
    [
      [2, 2, 7, 5],
      [2, 2, 5, 9],
    ],
  ];
  for (const [aShape, bShape] of shapes) {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        it(`given a ${aShape} · b ${bShape}, transposeA=${ta}, transposeB=${tb}, then both kernels agree`, () => {
          const a = random(swapLast(aShape, ta), 11);
          const b = random(swapLast(bShape, tb), 12);
          const { native, pure, nativeCalls } = bothWays(() => tf.matMul(a, b, ta, tb));
          expect(nativeCalls).toBe(1);
          expect(native.shape).toEqual(pure.shape);
          expect(maxAbsDiff(native, pure)).toBeLessThan(1e-5);
        });
      }
    }
  }

  it('given batch shapes that are neither equal nor one, then it falls back to pure wasm', () => {
    const a = random([2, 3, 4, 5], 13);
    const b = random([3, 5, 6], 14);
    registerWasmKernels(blas);
    calls = 0;
    const out = tf.matMul(a, b);
    expect(calls).toBe(0);
    expect(out.shape).toEqual([2, 3, 4, 6]);
  });

  it('given a product, then the output tensor is the only allocation left behind', () => {
    registerWasmKernels(blas);
    const a = random([3, 4, 5], 15);
    const b = random([3, 6, 5], 16);
    const before = tf.memory().numTensors;
    const out = tf.matMul(a, b, false, true);
    expect(tf.memory().numTensors).toBe(before + 1);
    out.dispose();
  });
});

describe('native _FusedMatMul against the pure wasm kernel', () => {
  const cases: { a: number[]; b: number[]; bias?: number[]; ta?: boolean; tb?: boolean }[] = [
    { a: [6, 4], b: [4, 5], bias: [5] },
    { a: [6, 4], b: [5, 4], bias: [5], tb: true },
    { a: [4, 6], b: [4, 5], bias: [5], ta: true },
    { a: [2, 3, 4], b: [4, 5], bias: [5] },
    { a: [2, 3, 4], b: [2, 4, 5], bias: [5] },
    { a: [2, 4, 3], b: [5, 4], bias: [5], ta: true, tb: true },
    { a: [6, 4], b: [4, 5] },
  ];
  for (const c of cases) {
    it(`given a ${c.a} · b ${c.b} + bias ${c.bias ?? 'none'} (transposeA=${!!c.ta}, transposeB=${!!c.tb}), then both kernels agree`, () => {
      const a = random(c.a, 17) as tf.Tensor3D;
      const b = random(c.b, 18) as tf.Tensor3D;
      const bias = c.bias ? random(c.bias, 19) : undefined;
      const fused = () =>
        tf.fused.matMul({
          a,
          b,
          transposeA: c.ta ?? false,
          transposeB: c.tb ?? false,
          ...(bias ? { bias } : {}),
        });
      const { native, pure, nativeCalls } = bothWays(fused);
      expect(nativeCalls).toBe(1);
      expect(native.shape).toEqual(pure.shape);
      expect(maxAbsDiff(native, pure)).toBeLessThan(1e-5);
    });
  }

  it('given an activation, then it falls back to pure wasm and agrees', () => {
    const a = random([6, 4], 20) as tf.Tensor2D;
    const b = random([4, 5], 21) as tf.Tensor2D;
    const bias = random([5], 22);
    const relu = bothWays(() => tf.fused.matMul({ a, b, bias, activation: 'relu' }));
    expect(relu.nativeCalls).toBe(0);
    expect(maxAbsDiff(relu.native, relu.pure)).toBeLessThan(1e-6);
  });

  it('given the gradient of a 2-D product with bias, then native and pure wasm gradients agree', () => {
    const a = random([6, 4], 24);
    const b = random([4, 5], 25);
    const bias = random([5], 26);
    const loss = (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) =>
      tf.sum(tf.square(tf.fused.matMul({ a: x as tf.Tensor2D, b: y as tf.Tensor2D, bias: z })));
    registerWasmKernels();
    const pure = tf.grads(loss)([a, b, bias]);
    registerWasmKernels(blas);
    const native = tf.grads(loss)([a, b, bias]);
    native.forEach((g, i) => {
      expect(maxAbsDiff(g, pure[i] as tf.Tensor)).toBeLessThan(1e-4);
    });
  });
});

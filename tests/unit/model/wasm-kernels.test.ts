import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '#model/backend.ts';

/**
 * Attune's wasm kernels (explicit-transpose BatchMatMul/_FusedMatMul, UnsortedSegmentSum) against
 * references computed with plain JS loops.
 */

type Matrix = number[][];

function transpose2(m: Matrix): Matrix {
  return (m[0] ?? []).map((_, j) => m.map((row) => row[j] as number));
}

function multiply(a: Matrix, b: Matrix): Matrix {
  return a.map((row) =>
    (b[0] ?? []).map((_, j) => row.reduce((s, v, k) => s + v * ((b[k] as number[])[j] as number), 0)),
  );
}

/** Batched matmul with broadcasting over a batch of one, optional bias and relu: the semantics tf promises. */
function reference(
  a: Matrix[],
  b: Matrix[],
  ta: boolean,
  tb: boolean,
  bias?: number[],
  relu = false,
): Matrix[] {
  const batch = Math.max(a.length, b.length);
  return Array.from({ length: batch }, (_, i) => {
    const ai = a[a.length === 1 ? 0 : i] as Matrix;
    const bi = b[b.length === 1 ? 0 : i] as Matrix;
    const out = multiply(ta ? transpose2(ai) : ai, tb ? transpose2(bi) : bi);
    return out.map((row) =>
      row.map((v, j) => {
        const biased = v + (bias ? (bias[j] as number) : 0);
        return relu ? Math.max(0, biased) : biased;
      }),
    );
  });
}

function random(shape: number[], seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}

function as3d(t: tf.Tensor): Matrix[] {
  return (t.rank === 2 ? [t.arraySync()] : t.arraySync()) as Matrix[];
}

function maxDiff(actual: tf.Tensor, expected: Matrix[]): number {
  const flat = as3d(actual).flat(2);
  const want = expected.flat(2);
  expect(flat).toHaveLength(want.length);
  return Math.max(...flat.map((v, i) => Math.abs(v - (want[i] as number))));
}

beforeAll(async () => {
  await initBackend({ log: () => {} });
});

describe('the wasm backend', () => {
  it('given initBackend, then the wasm backend is active with Attune kernels registered', async () => {
    expect(await initBackend()).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.getKernel('UnsortedSegmentSum', 'wasm')).toBeDefined();
  });
});

describe('BatchMatMul with explicit transposes', () => {
  const shapes: [number[], number[]][] = [
    [
      [3, 4],
      [4, 5],
    ],
    [
      [2, 3, 4],
      [2, 4, 5],
    ],
    [
      [2, 3, 4],
      [1, 4, 5],
    ],
    [
      [1, 3, 4],
      [2, 4, 5],
    ],
  ];
  for (const [aShape, bShape] of shapes) {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        it(`given a ${aShape} · b ${bShape} with transposeA=${ta}, transposeB=${tb}, then it matches JS loops`, () => {
          const a = random(
            ta ? [...aShape.slice(0, -2), aShape.at(-1) as number, aShape.at(-2) as number] : aShape,
            1,
          );
          const b = random(
            tb ? [...bShape.slice(0, -2), bShape.at(-1) as number, bShape.at(-2) as number] : bShape,
            2,
          );
          const out = tf.matMul(a, b, ta, tb);
          expect(maxDiff(out, reference(as3d(a), as3d(b), ta, tb))).toBeLessThan(1e-5);
        });
      }
    }
  }

  it('given a transposed product, then no intermediate tensor is left behind', () => {
    const a = random([4, 3], 1);
    const b = random([5, 4], 2);
    const before = tf.memory().numBytes;
    tf.matMul(a, b, true, true).dispose();
    expect(tf.memory().numBytes).toBe(before);
  });
});

describe('_FusedMatMul with bias', () => {
  const cases: { a: number[]; b: number[]; ta?: boolean; tb?: boolean; relu?: boolean }[] = [
    { a: [3, 4], b: [4, 5] },
    { a: [2, 3, 4], b: [4, 5] },
    { a: [2, 3, 4], b: [2, 4, 5] },
    { a: [2, 3, 4], b: [1, 4, 5], relu: true },
    { a: [1, 3, 4], b: [2, 4, 5] },
    { a: [2, 4, 3], b: [5, 4], ta: true, tb: true, relu: true },
  ];
  for (const c of cases) {
    it(`given a ${c.a} · b ${c.b} (transposeA=${!!c.ta}, transposeB=${!!c.tb}, relu=${!!c.relu}), then it matches JS loops`, () => {
      const a = random(c.a, 3);
      const b = random(c.b, 4);
      const bias = random([5], 5);
      const out = tf.fused.matMul({
        a: a as tf.Tensor3D,
        b: b as tf.Tensor3D,
        transposeA: c.ta ?? false,
        transposeB: c.tb ?? false,
        bias,
        activation: c.relu ? 'relu' : 'linear',
      });
      const expected = reference(
        as3d(a),
        as3d(b),
        c.ta ?? false,
        c.tb ?? false,
        Array.from(bias.dataSync()),
        c.relu,
      );
      expect(maxDiff(out, expected)).toBeLessThan(1e-5);
    });
  }

  it('given a 2-D product with bias (how the model uses it), then the gradients match the unfused ops', () => {
    // 2-D only: tfjs-core's own fused gradient does not sum a broadcast 2-D b over a batch of a.
    const a = random([6, 4], 6);
    const b = random([4, 5], 7);
    const bias = random([5], 8);
    const loss = (fused: boolean) => (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) =>
      tf.sum(
        tf.square(
          fused
            ? tf.fused.matMul({ a: x as tf.Tensor2D, b: y as tf.Tensor2D, bias: z })
            : tf.add(tf.matMul(x, y), z),
        ),
      );
    const fusedGrads = tf.grads(loss(true))([a, b, bias]);
    const plainGrads = tf.grads(loss(false))([a, b, bias]);
    fusedGrads.forEach((g, i) => {
      expect(tf.max(tf.abs(tf.sub(g, plainGrads[i] as tf.Tensor))).dataSync()[0]).toBeLessThan(1e-4);
    });
  });
});

describe('UnsortedSegmentSum', () => {
  it('given rows with repeated and out-of-range segment ids, then it sums rows per segment and drops the rest', () => {
    const x = tf.tensor2d([
      [1, 2],
      [3, 4],
      [5, 6],
      [7, 8],
      [9, 10],
    ]);
    const ids = tf.tensor1d([2, 0, 2, -1, 5], 'int32');
    const out = tf.unsortedSegmentSum(x, ids, 4);
    expect(out.arraySync()).toEqual([
      [3, 4],
      [0, 0],
      [6, 8],
      [0, 0],
    ]);
  });

  it('given int32 values, then it sums integers', () => {
    const out = tf.unsortedSegmentSum(tf.tensor1d([1, 2, 3], 'int32'), tf.tensor1d([1, 1, 0], 'int32'), 2);
    expect(out.dtype).toBe('int32');
    expect(out.arraySync()).toEqual([3, 3]);
  });

  it('given the gradient of an embedding lookup, then each row gets the sum of its upstream gradients', () => {
    const table = random([6, 3], 9);
    const ids = tf.tensor2d(
      [
        [1, 4, 1],
        [0, 1, 5],
      ],
      [2, 3],
      'int32',
    );
    const upstream = random([2, 3, 3], 10);
    const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, ids), upstream)))(table);
    const up = upstream.arraySync() as number[][][];
    const expected: Matrix[] = [Array.from({ length: 6 }, () => [0, 0, 0])];
    (ids.arraySync() as number[][]).forEach((row, i) => {
      row.forEach((id, j) => {
        const target = (expected[0] as Matrix)[id] as number[];
        for (let k = 0; k < 3; k++)
          target[k] = (target[k] as number) + (((up[i] as Matrix)[j] as number[])[k] as number);
      });
    });
    expect(maxDiff(grad, expected)).toBeLessThan(1e-5);
  });
});

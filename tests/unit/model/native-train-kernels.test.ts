import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, registerWasmKernels } from '#model/backend.ts';
import { leadingReduction } from '#model/kernels/native-train-kernels.ts';
import { loadNativeBlas, type NativeBlas } from '#model/native/native-blas.ts';
import { maxAbsDiff } from './helpers.ts';

/**
 * The native leading-axis Sum, row GatherV2 and last-axis SplitV against the stock wasm kernels on the
 * same inputs, and the cases that must fall back to the stock kernels.
 */

const loaded = await loadNativeBlas();
const native = loaded.ok ? loaded.native.blas : undefined;

beforeAll(async () => {
  await initBackend({ log: () => {} });
});

afterAll(() => registerWasmKernels(native));

const calls = { sumLeading: 0, gatherRows: 0 };

/** The addon with its Sum and gather entry points counted, so a test sees which path answered. */
function counted(blas: NativeBlas): NativeBlas {
  return {
    ...blas,
    sumLeading: (...args) => {
      calls.sumLeading += 1;
      blas.sumLeading(...args);
    },
    gatherRows: (...args) => {
      calls.gatherRows += 1;
      blas.gatherRows(...args);
    },
  };
}

/** `compute` on the stock kernels, then with the native addon's kernels (calls counted from 0). */
function bothWays<T extends tf.Tensor | tf.Tensor[]>(compute: () => T): { stock: T; ours: T } {
  registerWasmKernels();
  const stock = compute();
  registerWasmKernels(counted(native as NativeBlas));
  calls.sumLeading = 0;
  calls.gatherRows = 0;
  return { stock, ours: compute() };
}

describe('leadingReduction', () => {
  it('given axes 0 and 1 of a rank-3 shape, then it is a rows × cols column sum', () => {
    expect(leadingReduction([2, 3, 4], [1, 0])).toEqual([6, 4]);
  });

  it('given an inner axis, every axis or no axis, then it is not a leading reduction', () => {
    expect(leadingReduction([2, 3, 4], [1])).toBeUndefined();
    expect(leadingReduction([2, 3], [0, 1])).toBeUndefined();
    expect(leadingReduction([2, 3], [])).toBeUndefined();
  });
});

if (native) {
  describe('native Sum over leading axes', () => {
    const x = () => tf.randomNormal([4, 64, 48], 0, 1, 'float32', 1);

    it('given a bias-gradient shape summed over axes 0 and 1, then it matches the stock Sum', () => {
      const { stock, ours } = bothWays(() => tf.sum(x(), [0, 1]));
      expect(calls.sumLeading).toBe(1);
      expect(ours.shape).toEqual([48]);
      expect(maxAbsDiff(ours, stock)).toBeLessThan(1e-4);
    });

    it('given keepDims, then the reduced axes stay as ones', () => {
      const { stock, ours } = bothWays(() => tf.sum(x(), 0, true));
      expect(ours.shape).toEqual([1, 64, 48]);
      expect(maxAbsDiff(ours, stock)).toBeLessThan(1e-5);
    });

    it('given an inner axis or int32 values, then the stock Sum answers the same', () => {
      const inner = bothWays(() => tf.sum(x(), 2));
      expect(maxAbsDiff(inner.ours, inner.stock)).toBe(0);
      const ints = bothWays(() =>
        tf.sum(
          tf.tensor2d(
            [
              [1, 2],
              [3, 4],
            ],
            [2, 2],
            'int32',
          ),
          0,
        ),
      );
      expect(Array.from(ints.ours.dataSync())).toEqual([4, 6]);
    });
  });

  describe('native GatherV2 of rows', () => {
    const table = () => tf.randomNormal([10, 3, 4], 0, 1, 'float32', 2);

    it('given indices of rank 2, then the rows come out as the stock gather gives them', () => {
      const ids = tf.tensor2d(
        [
          [9, 0, 3],
          [3, 3, 1],
        ],
        [2, 3],
        'int32',
      );
      const { stock, ours } = bothWays(() => tf.gather(table(), ids));
      expect(calls.gatherRows).toBe(1);
      expect(ours.shape).toEqual([2, 3, 3, 4]);
      expect(maxAbsDiff(ours, stock)).toBe(0);
    });

    it('given an index outside the table, then it throws a RangeError naming it', () => {
      registerWasmKernels(native);
      expect(() => tf.gather(table(), tf.tensor1d([2, 10], 'int32'))).toThrow(
        /index value 10 is not in \[0, 9\]/,
      );
    });

    it('given axis 1, then the stock gather answers the same', () => {
      const { stock, ours } = bothWays(() => tf.gather(table(), tf.tensor1d([2, 0], 'int32'), 1));
      expect(calls.gatherRows).toBe(0);
      expect(maxAbsDiff(ours, stock)).toBe(0);
    });
  });

  describe('row-copying SplitV', () => {
    const x = () => tf.randomNormal([6, 5, 9], 0, 1, 'float32', 3);

    it('given a split of the last axis into sizes, then every part matches the stock split', () => {
      const { stock, ours } = bothWays(() => tf.split(x(), [2, 4, 3], 2));
      expect(ours.map((t) => t.shape)).toEqual([
        [6, 5, 2],
        [6, 5, 4],
        [6, 5, 3],
      ]);
      for (const [i, t] of ours.entries()) expect(maxAbsDiff(t, stock[i] as tf.Tensor)).toBe(0);
    });

    it('given a split of the first axis, then the stock split answers the same', () => {
      const { stock, ours } = bothWays(() => tf.split(x(), 3, 0));
      for (const [i, t] of ours.entries()) expect(maxAbsDiff(t, stock[i] as tf.Tensor)).toBe(0);
    });
  });
}

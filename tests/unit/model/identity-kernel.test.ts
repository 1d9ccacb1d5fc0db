import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '#model/backend.ts';

/** The zero-copy wasm Identity: shared memory, independent lifetimes, strings still copied. */

beforeAll(async () => {
  await initBackend({ log: () => {} });
});

describe('Identity on wasm', () => {
  it('given a clone, then the backend allocates no new buffer and the values are kept', () => {
    const x = tf.tensor2d([
      [1, 2],
      [3, 4],
    ]);
    const buffers = () => tf.engine().backend.numDataIds();
    const before = buffers();
    const y = tf.clone(x);
    expect(buffers()).toBe(before);
    expect(y.arraySync()).toEqual(x.arraySync());
    tf.dispose([x, y]);
  });

  it('given the original disposed, then the clone still reads its values, and disposing both frees the memory', () => {
    const before = tf.memory().numBytes;
    const x = tf.tensor1d([5, 6, 7]);
    const y = tf.clone(x);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([5, 6, 7]);
    y.dispose();
    expect(tf.memory().numBytes).toBe(before);
  });

  it('given a string tensor, then the clone has the same strings', () => {
    const s = tf.tensor1d(['a', 'bc'], 'string');
    expect(tf.clone(s).arraySync()).toEqual(['a', 'bc']);
  });
});

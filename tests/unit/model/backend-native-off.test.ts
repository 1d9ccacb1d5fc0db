import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend, nativeBlasOutcome } from '#model/backend.ts';

/** Its own file (so its own process): initBackend chooses once per process, here with the native path off. */

describe('initBackend with ATTUNE_NATIVE_BLAS=off', () => {
  it('given the native matmul disabled, then one log line says pure wasm and the model still multiplies', async () => {
    const lines: string[] = [];
    const env = { ...process.env, ATTUNE_NATIVE_BLAS: 'off' };
    expect(await initBackend({ log: (line) => lines.push(line), env })).toBe('wasm');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /backend "wasm".*matmul: pure wasm \(native OpenBLAS sgemm not used: ATTUNE_NATIVE_BLAS=off\)/,
    );
    expect(nativeBlasOutcome()).toEqual({ ok: false, reason: 'ATTUNE_NATIVE_BLAS=off' });
    expect(tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])).arraySync()).toEqual([[11]]);
  });
});

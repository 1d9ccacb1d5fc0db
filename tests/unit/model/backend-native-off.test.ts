import { describe, expect, it } from 'vitest';
import { initBackendInFreshProcess } from './fresh-backend.ts';

/** In a process of its own: initBackend chooses once per process, here with the native path off. */

describe('initBackend with ATTUNE_NATIVE_BLAS=off', () => {
  it('given the native matmul disabled, then one log line says pure wasm and the model still multiplies', async () => {
    const fresh = await initBackendInFreshProcess({ ATTUNE_NATIVE_BLAS: 'off' });
    expect(fresh.backends[0]).toBe('wasm');
    expect(fresh.lines).toHaveLength(1);
    expect(fresh.lines[0]).toMatch(
      /backend "wasm".*matmul: pure wasm \(native OpenBLAS sgemm not used: ATTUNE_NATIVE_BLAS=off\)/,
    );
    expect(fresh.outcome).toEqual({ ok: false, reason: 'ATTUNE_NATIVE_BLAS=off' });
    expect(fresh.product).toEqual([[11]]);
  });
});

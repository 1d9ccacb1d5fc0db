import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadNativeBlas,
  nativeBlasDisabled,
  nodeHeaders,
  openblasCoreType,
} from '#model/native/native-blas.ts';

/** The native sgemm loader's fallbacks: each way it can be unavailable gives a reason instead of a throw. */

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'attune-blas-test-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadNativeBlas', () => {
  it('given ATTUNE_NATIVE_BLAS=off, then it does not build and says it is off', async () => {
    const outcome = await loadNativeBlas({
      env: { ATTUNE_NATIVE_BLAS: 'off', ATTUNE_NATIVE_BLAS_CACHE: dir },
    });
    expect(outcome).toEqual({ ok: false, reason: 'ATTUNE_NATIVE_BLAS=off' });
  });

  it('given a source that does not compile, then it reports the compiler error', async () => {
    const source = path.join(dir, 'broken.c');
    await writeFile(source, 'this is not C;\n');
    const outcome = await loadNativeBlas({ source, env: { ATTUNE_NATIVE_BLAS_CACHE: dir } });
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.reason).toMatch(/error|not beside/i);
  });

  it('given a compiler that does not exist, then it reports the failed build', async () => {
    const source = path.join(dir, 'fresh.c');
    await writeFile(source, '/* never compiled */\n');
    const env = { ATTUNE_NATIVE_BLAS_CACHE: dir, CXX: path.join(dir, 'no-such-compiler') };
    const outcome = await loadNativeBlas({ source, env });
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.reason).toMatch(/no-such-compiler|ENOENT|not beside/);
  });

  it('given no source file (a bundle), then it says the source is not found', async () => {
    const outcome = await loadNativeBlas({ source: path.join(dir, 'missing.c'), env: {} });
    expect(outcome).toEqual({ ok: false, reason: 'source missing.c not found' });
  });
});

/** A fake Node install under `dir/name`: `bin/node`, and `node_api.h` in `headersAt` (relative), if given. */
async function fakeNode(name: string, headersAt?: string): Promise<{ execPath: string; headers?: string }> {
  const prefix = path.join(dir, name);
  await mkdir(path.join(prefix, 'bin'), { recursive: true });
  const execPath = path.join(prefix, 'bin', 'node');
  await writeFile(execPath, '');
  if (headersAt === undefined) return { execPath };
  const headers = path.join(prefix, headersAt);
  await mkdir(headers, { recursive: true });
  await writeFile(path.join(headers, 'node_api.h'), '');
  return { execPath, headers };
}

describe('nodeHeaders', () => {
  it('given node_api.h in include/node beside bin/node, then it is that directory', async () => {
    const node = await fakeNode('installed', path.join('include', 'node'));
    expect(nodeHeaders(node.execPath)).toBe(node.headers);
  });

  it("given npm's node package layout, then it is the include/node of the platform package under it", async () => {
    const platform = `node-${process.platform}-${process.arch}`;
    const node = await fakeNode('npm-package', path.join('node_modules', platform, 'include', 'node'));
    expect(nodeHeaders(node.execPath)).toBe(node.headers);
  });

  it('given no node_api.h in either place, then there are none', async () => {
    const node = await fakeNode('bare');
    expect(nodeHeaders(node.execPath)).toBeUndefined();
  });
});

describe('nativeBlasDisabled', () => {
  it('given off, 0, false or no in any case, then the native path is disabled; otherwise not', () => {
    for (const value of ['off', 'OFF', '0', 'false', 'no']) {
      expect(nativeBlasDisabled({ ATTUNE_NATIVE_BLAS: value })).toBe(true);
    }
    for (const value of [undefined, '', 'on', 'auto']) {
      expect(nativeBlasDisabled({ ATTUNE_NATIVE_BLAS: value })).toBe(false);
    }
  });
});

describe('openblasCoreType', () => {
  it('given AVX-512 (F, BW, VL, DQ), then SkylakeX kernels', () => {
    expect(openblasCoreType(new Set(['avx2', 'fma', 'avx512f', 'avx512bw', 'avx512vl', 'avx512dq']))).toBe(
      'SkylakeX',
    );
  });

  it('given AVX2 and FMA only, then Haswell kernels', () => {
    expect(openblasCoreType(new Set(['avx', 'avx2', 'fma', 'avx512f']))).toBe('Haswell');
  });

  it('given neither, then no override', () => {
    expect(openblasCoreType(new Set(['sse4_2', 'avx']))).toBeUndefined();
  });
});

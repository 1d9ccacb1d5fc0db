import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '#core/errors.ts';
import { resolveWasmDir } from '#model/backend.ts';
import { initBackendInFreshProcess } from './fresh-backend.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'attune-wasm-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('resolveWasmDir', () => {
  it('given no override, then it finds the installed package dist directory', () => {
    expect(resolveWasmDir({})).toMatch(/tfjs-backend-wasm[/\\]dist$/);
  });

  it('given ATTUNE_TFJS_WASM_DIR holding the binary, then it uses that directory', async () => {
    await writeFile(path.join(dir, 'tfjs-backend-wasm-simd.wasm'), '');
    expect(resolveWasmDir({ ATTUNE_TFJS_WASM_DIR: dir })).toBe(dir);
  });

  it('given ATTUNE_TFJS_WASM_DIR without the binary, then it throws a ConfigError naming it', () => {
    const empty = path.join(dir, 'nothing-here');
    expect(() => resolveWasmDir({ ATTUNE_TFJS_WASM_DIR: empty })).toThrow(ConfigError);
    expect(() => resolveWasmDir({ ATTUNE_TFJS_WASM_DIR: empty })).toThrow(/nothing-here/);
  });
});

describe('initBackend', () => {
  it('given no native TensorFlow installed, then it picks wasm, logs it once, and later calls agree', async () => {
    const fresh = await initBackendInFreshProcess();
    expect(fresh.backends).toEqual(['wasm', 'wasm']);
    expect(fresh.lines).toHaveLength(1);
    expect(fresh.lines[0]).toMatch(/backend "wasm"/);
  });
});

import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { esbuildBuildOptions, LAMBDA_BUNDLE_FILE } from '../../../infra/constructs/bundling.ts';

/**
 * The model in a Lambda-style bundle (one ESM file, no node_modules) with the wasm binaries beside it:
 * the backend must find them there and start, although an ESM bundle has no `__dirname`.
 */

const run = promisify(execFile);
let dir: string;
let wasmFiles: string[];
const wasmDist = path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'attune-bundle-'));
  await build(esbuildBuildOptions(path.join(import.meta.dirname, 'bundle-entry.ts'), dir));
  wasmFiles = (await readdir(wasmDist)).filter((f) => f.endsWith('.wasm'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function runBundle() {
  const env = { ...process.env };
  delete env.ATTUNE_TFJS_WASM_DIR;
  return run(process.execPath, [path.join(dir, LAMBDA_BUNDLE_FILE)], { cwd: dir, env, timeout: 60_000 });
}

describe('the model in a bundled Lambda', () => {
  it('given no wasm binaries beside the bundle, then it fails with a ConfigError naming the file', async () => {
    await expect(runBundle()).rejects.toMatchObject({
      stderr: expect.stringMatching(/cannot find tfjs-backend-wasm-simd\.wasm/),
    });
  });

  it('given the wasm binaries beside the bundle, then it starts wasm from there and runs the model', async () => {
    for (const file of wasmFiles) await copyFile(path.join(wasmDist, file), path.join(dir, file));
    const { stdout, stderr } = await runBundle();
    expect(JSON.parse(stdout)).toEqual({ backend: 'wasm', shape: [1, 2, 11] });
    expect(stderr).toContain(`binaries in ${dir}`);
  });
});

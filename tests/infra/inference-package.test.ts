import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BASE_MODELS } from '#core/jobs/models.ts';
import { CONFIG_FILE, TOKENIZER_FILE, WEIGHTS_FILE } from '#model/model-dir.ts';
import { REPO_ROOT } from '../../infra/constructs/bundling.ts';
import {
  BASE_MODEL_DIRECTORIES,
  inferencePackageCommands,
  inferencePackageEnvironment,
  MODEL_DIR_FILES,
  TFJS_WASM_BINARIES,
  TFJS_WASM_SOURCE_DIR,
} from '../../infra/constructs/inference-package.ts';

/** Runs the hook's commands as the CDK's local bundling does: each with `bash -c`, in the repository root. */
function runCommands(inputDir: string, outputDir: string): void {
  for (const command of inferencePackageCommands(inputDir, outputDir)) {
    execFileSync('bash', ['-c', command], { cwd: REPO_ROOT, stdio: 'pipe' });
  }
}

describe('inference package contents', () => {
  it('Given the model loader, then the package copies exactly the files loadModelDir reads', () => {
    expect([...MODEL_DIR_FILES]).toEqual([CONFIG_FILE, WEIGHTS_FILE, TOKENIZER_FILE]);
  });

  it('Given the built-in models, then every BASE_MODELS directory is packaged', () => {
    expect([...BASE_MODEL_DIRECTORIES]).toEqual(BASE_MODELS.map((model) => model.directory));
    expect(BASE_MODEL_DIRECTORIES).toContain('models/attune-tiny');
  });

  it('Given the installed tfjs-backend-wasm, then the source directory holds every binary the package names', () => {
    for (const binary of TFJS_WASM_BINARIES) {
      expect(existsSync(join(REPO_ROOT, TFJS_WASM_SOURCE_DIR, binary)), binary).toBe(true);
    }
    expect(TFJS_WASM_SOURCE_DIR).toBe('node_modules/@tensorflow/tfjs-backend-wasm/dist');
  });

  it('Given a package root, then the environment points the wasm dir and the base-models root at it', () => {
    expect(inferencePackageEnvironment('/var/task')).toEqual({
      ATTUNE_TFJS_WASM_DIR: '/var/task',
      ATTUNE_BASE_MODELS_ROOT: '/var/task',
    });
  });
});

describe('inference package commands', () => {
  it('Given an output directory whose name has a space and a quote, when the commands run, then the wasm binaries sit beside the bundle and the model under models/', () => {
    const outputDir = join(mkdtempSync(join(tmpdir(), 'attune-pkg-')), "it's here");
    execFileSync('mkdir', ['-p', outputDir]);

    runCommands(REPO_ROOT, outputDir);

    expect(readdirSync(outputDir).sort()).toEqual(['models', ...TFJS_WASM_BINARIES].sort());
    expect(readdirSync(join(outputDir, 'models/attune-tiny')).sort()).toEqual([...MODEL_DIR_FILES].sort());
    const copied = readFileSync(join(outputDir, 'models/attune-tiny', WEIGHTS_FILE));
    expect(copied.equals(readFileSync(join(REPO_ROOT, 'models/attune-tiny', WEIGHTS_FILE)))).toBe(true);
  });

  it('Given an input directory without the files, when the commands run, then the copy fails instead of shipping an empty package', () => {
    const emptyInput = mkdtempSync(join(tmpdir(), 'attune-pkg-empty-'));
    const outputDir = mkdtempSync(join(tmpdir(), 'attune-pkg-out-'));

    expect(() => runCommands(emptyInput, outputDir)).toThrow(/Command failed: bash -c cp/);
  });
});

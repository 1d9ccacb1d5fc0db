import { createRequire } from 'node:module';
import { dirname, join, posix, relative } from 'node:path';
import type { ICommandHooks } from 'aws-cdk-lib/aws-lambda-nodejs';
import { BASE_MODELS } from '#core/jobs/models.ts';
import { REPO_ROOT } from './bundling.ts';

/**
 * What the inference Lambda's package holds besides `index.mjs`, and where: esbuild bundles code only,
 * but the handler also reads, at run time, the TF.js wasm binaries (the backend it computes on) and the
 * built-in base models' directories. Both are copied into the bundle's output directory by an
 * `afterBundling` command hook, so they travel in the very zip the CDK uploads.
 *
 * Package layout (unpacked by Lambda at `/var/task`):
 *
 * ```
 * index.mjs, index.mjs.map
 * tfjs-backend-wasm.wasm, tfjs-backend-wasm-simd.wasm, tfjs-backend-wasm-threaded-simd.wasm
 * models/<id>/config.json, model.safetensors, tokenizer.json     (one per BASE_MODELS entry)
 * ```
 *
 * The wasm binaries sit beside `index.mjs`, where `resolveWasmDir` (functions/model/backend.ts) also
 * looks when `ATTUNE_TFJS_WASM_DIR` is unset; `models/` sits at the root so the root is a valid
 * `ATTUNE_BASE_MODELS_ROOT` (a directory holding `models/<id>/`, as the repository root is locally).
 */

/** Where Lambda unpacks a function's deployment package (`LAMBDA_TASK_ROOT`). */
export const LAMBDA_TASK_ROOT = '/var/task';

/**
 * The binaries `@tensorflow/tfjs-backend-wasm` may load: which one depends on what the runtime supports
 * (SIMD, threads), decided when the backend starts, so all three travel (1.2 MB together).
 */
export const TFJS_WASM_BINARIES: readonly string[] = [
  'tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm-threaded-simd.wasm',
];

/**
 * The files of a model directory the model loader reads (`CONFIG_FILE`, `WEIGHTS_FILE`, `TOKENIZER_FILE`
 * in functions/model/model-dir.ts; named here so synthesis does not load TF.js). A test keeps them equal.
 * The model card and training records in the repository's model directory stay out of the package.
 */
export const MODEL_DIR_FILES: readonly string[] = ['config.json', 'model.safetensors', 'tokenizer.json'];

/** The installed wasm package's `dist/`, relative to the repository root (the hook's `inputDir`). */
export const TFJS_WASM_SOURCE_DIR = relative(
  REPO_ROOT,
  join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist'),
);

/** The directories (relative to the repository root and to the package root alike) of the base models. */
export const BASE_MODEL_DIRECTORIES: readonly string[] = BASE_MODELS.map((model) => model.directory);

/** POSIX single-quoting: the commands run under `bash -c` locally and in the bundling container alike. */
function quote(path: string): string {
  return `'${path.replaceAll("'", `'\\''`)}'`;
}

/**
 * The shell commands that complete the package after esbuild: copy the wasm binaries beside the bundle and
 * each base model's directory under `models/`. `inputDir` is the repository root, `outputDir` the
 * directory the CDK zips. `cp` fails on a missing file, so a model or binary that moved stops synthesis
 * instead of shipping a package that cannot start.
 */
export function inferencePackageCommands(inputDir: string, outputDir: string): string[] {
  const wasm = TFJS_WASM_BINARIES.map((file) => quote(posix.join(inputDir, TFJS_WASM_SOURCE_DIR, file)));
  const commands = [`cp ${wasm.join(' ')} ${quote(`${posix.join(outputDir)}/`)}`];
  for (const directory of BASE_MODEL_DIRECTORIES) {
    const target = posix.join(outputDir, directory);
    const files = MODEL_DIR_FILES.map((file) => quote(posix.join(inputDir, directory, file)));
    commands.push(`mkdir -p ${quote(target)}`, `cp ${files.join(' ')} ${quote(`${target}/`)}`);
  }
  return commands;
}

/** The inference function's esbuild hooks: nothing before, {@link inferencePackageCommands} after. */
export const INFERENCE_COMMAND_HOOKS: ICommandHooks = {
  beforeBundling: () => [],
  beforeInstall: () => [],
  afterBundling: inferencePackageCommands,
};

/**
 * The environment that tells the handler where the package's run-time files are, for a package unpacked
 * at `root` (Lambda: `/var/task`; a test: the directory it bundled into).
 */
export function inferencePackageEnvironment(root: string = LAMBDA_TASK_ROOT): {
  ATTUNE_TFJS_WASM_DIR: string;
  ATTUNE_BASE_MODELS_ROOT: string;
} {
  return { ATTUNE_TFJS_WASM_DIR: root, ATTUNE_BASE_MODELS_ROOT: root };
}

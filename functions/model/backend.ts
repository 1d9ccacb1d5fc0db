import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { ConfigError } from '#core/errors.ts';
import { CROSS_ENTROPY_KERNELS, crossEntropyKernelConfigs } from '#model/kernels/cross-entropy.ts';
import { fusedKernelConfigs } from '#model/kernels/fused-ops.ts';
import { identityKernelConfig } from '#model/kernels/identity.ts';
import { matMulKernelConfigs } from '#model/kernels/mat-mul.ts';
import { nativeMatMulKernelConfigs } from '#model/kernels/native-mat-mul.ts';
import { unsortedSegmentSumConfig } from '#model/kernels/unsorted-segment-sum.ts';
import { loadNativeBlas, type NativeBlas, type NativeBlasOutcome } from '#model/native/native-blas.ts';

/**
 * Chooses where the model computes. The GPU and CPU container images ship `@tensorflow/tfjs-node-gpu` /
 * `@tensorflow/tfjs-node` (native libtensorflow) in their own manifests; everywhere else (local, CI,
 * Lambda) runs `@tensorflow/tfjs` on the wasm backend, with Attune's kernel fixes registered.
 */

const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;
const WASM_BINARY = 'tfjs-backend-wasm-simd.wasm';

export interface InitBackendOptions {
  /** Where progress lines go; defaults to stderr so stdout stays clean for CLI output. */
  log?: (message: string) => void;
  /**
   * Environment to read `ATTUNE_TFJS_WASM_DIR` and the native matmul settings from (`ATTUNE_NATIVE_BLAS=off`
   * keeps the pure wasm kernels; see native/native-blas.ts). Tests pass their own.
   */
  env?: NodeJS.ProcessEnv;
}

let chosen: Promise<string> | undefined;
let nativeOutcome: NativeBlasOutcome | undefined;

function defaultLog(message: string): void {
  process.stderr.write(`${message}\n`);
}

/**
 * The directory holding the wasm binaries: `ATTUNE_TFJS_WASM_DIR` if set, else the installed package's
 * `dist/` (tests, CLI), else the directory of the running file (a bundled Lambda ships them beside it).
 */
export function resolveWasmDir(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.ATTUNE_TFJS_WASM_DIR;
  if (override) {
    if (!existsSync(path.join(override, WASM_BINARY))) {
      throw new ConfigError(`ATTUNE_TFJS_WASM_DIR=${override} does not contain ${WASM_BINARY}`);
    }
    return override;
  }
  try {
    const entry = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm');
    const dist = path.dirname(entry);
    if (existsSync(path.join(dist, WASM_BINARY))) return dist;
  } catch {
    // Not resolvable from here: a bundle, handled below.
  }
  const beside = path.dirname(fileURLToPath(import.meta.url));
  if (existsSync(path.join(beside, WASM_BINARY))) return beside;
  throw new ConfigError(
    `cannot find ${WASM_BINARY}: install @tensorflow/tfjs-backend-wasm or set ATTUNE_TFJS_WASM_DIR`,
  );
}

/**
 * Installs the wasm kernel fixes; with `native`, the matmul kernels run on the native OpenBLAS sgemm
 * (falling back to the pure wasm ones for what it does not cover), the fused GELU/LayerNorm loops
 * run compiled, and the loss's softmax cross-entropy is one compiled kernel each way. Calling it again swaps the matmul
 * implementation (the benchmark measures both in one process).
 */
export function registerWasmKernels(native?: NativeBlas): void {
  const pure = matMulKernelConfigs();
  const configs = [
    ...(native ? nativeMatMulKernelConfigs(native, pure) : pure),
    unsortedSegmentSumConfig,
    ...fusedKernelConfigs(native),
    identityKernelConfig(),
  ];
  if (native) configs.push(...crossEntropyKernelConfigs(native));
  for (const name of CROSS_ENTROPY_KERNELS) {
    if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
  }
  for (const config of configs) {
    if (tf.getKernel(config.kernelName, 'wasm')) tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
  }
  // No setup to re-run on a swap: the replacements share the stock kernels' setup, done when wasm started.
}

/** What {@link initBackend} found for the native matmul (undefined before it ran or on tfjs-node). */
export function nativeBlasOutcome(): NativeBlasOutcome | undefined {
  return nativeOutcome;
}

function describeMatMul(outcome: NativeBlasOutcome): string {
  if (!outcome.ok) return `matmul: pure wasm (native OpenBLAS sgemm not used: ${outcome.reason})`;
  const core = outcome.native.description.match(/DYNAMIC_ARCH\s+\S+\s+(\S+)/)?.[1];
  return `matmul: native OpenBLAS sgemm (${outcome.native.threads} threads${core ? `, ${core} kernels` : ''})`;
}

async function tryNative(log: (message: string) => void): Promise<string | undefined> {
  for (const name of NATIVE_PACKAGES) {
    try {
      // A variable specifier keeps bundlers and tsc from requiring packages only the images install.
      const specifier: string = name;
      await import(specifier);
    } catch {
      continue;
    }
    if (await tf.setBackend('tensorflow')) {
      log(`attune: TF.js backend "tensorflow" (${name})`);
      return 'tensorflow';
    }
  }
  return undefined;
}

/**
 * Starts the wasm backend. Its Emscripten loader reads `__dirname` when it runs under Node, which an ESM
 * bundle (the Lambda build) does not define; a global stands in for it while the module instantiates.
 */
async function startWasm(dir: string): Promise<boolean> {
  const global = globalThis as { __dirname?: string };
  const shim = !('__dirname' in global);
  if (shim) global.__dirname = dir;
  try {
    return await tf.setBackend('wasm');
  } finally {
    if (shim) delete global.__dirname;
  }
}

async function choose(options: InitBackendOptions): Promise<string> {
  const log = options.log ?? defaultLog;
  const native = await tryNative(log);
  if (native) return native;
  const dir = resolveWasmDir(options.env);
  setWasmPaths(`${dir}${path.sep}`);
  nativeOutcome = await loadNativeBlas({ env: options.env ?? process.env });
  registerWasmKernels(nativeOutcome.ok ? nativeOutcome.native.blas : undefined);
  if (!(await startWasm(dir))) throw new ConfigError(`the TF.js wasm backend failed to start from ${dir}`);
  await tf.ready();
  log(`attune: TF.js backend "wasm" (binaries in ${dir}); ${describeMatMul(nativeOutcome)}`);
  return 'wasm';
}

/**
 * Picks the best backend available (tfjs-node-gpu, tfjs-node, else wasm), logs which, and returns its
 * name. Idempotent: later calls return the first choice, so every entry point and test can call it.
 */
export function initBackend(options: InitBackendOptions = {}): Promise<string> {
  chosen ??= choose(options).catch((error: unknown) => {
    chosen = undefined;
    throw error;
  });
  return chosen;
}

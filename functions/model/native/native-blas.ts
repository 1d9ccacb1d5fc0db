import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * The optional native matrix multiply: a tiny N-API addon (attune-blas.c) over the system OpenBLAS,
 * compiled on demand with the machine's C++ compiler against Node's own headers and cached per Node ABI
 * and source hash. Optional by design: no compiler, no Node headers, no OpenBLAS, a failed build or
 * `ATTUNE_NATIVE_BLAS=off` all leave the pure wasm kernels in place, and the reason is reported.
 */

/** What the addon exports (see attune-blas.c). */
export interface NativeBlas {
  /** c[i] = op(a[i])·op(b[i]) (+ bias per row); params: batch, batchA, batchB, m, n, k, transA, transB. */
  sgemm(a: Float32Array, b: Float32Array, c: Float32Array, params: Int32Array, bias?: Float32Array): void;
  /** Sets OpenBLAS's thread count; returns the count in force. */
  setThreads(threads: number): number;
  /** OpenBLAS's build description: version, the core kernels in use, threading. */
  config(): string;
  /** The fused kernels of kernels/fused-ops.ts, compiled: same formulas, same argument meaning. */
  gelu(x: Float32Array, y: Float32Array): void;
  geluGrad(x: Float32Array, dy: Float32Array, dx: Float32Array): void;
  layerNorm(
    rows: number,
    c: number,
    epsilon: number,
    x: Float32Array,
    gain: Float32Array,
    bias: Float32Array,
    y: Float32Array,
    mean: Float32Array,
    rstd: Float32Array,
  ): void;
  layerNormGrad(
    rows: number,
    c: number,
    x: Float32Array,
    dy: Float32Array,
    gain: Float32Array,
    mean: Float32Array,
    rstd: Float32Array,
    dx: Float32Array,
    dgain: Float32Array,
    dbias: Float32Array,
  ): void;
  /** Per row of `n×v` logits: nll = logsumexp − the target's logit, probs = softmax. */
  softmaxCrossEntropy(
    n: number,
    v: number,
    logits: Float32Array,
    ids: Int32Array,
    nll: Float32Array,
    probs: Float32Array,
  ): void;
  /** dx = scale[i]·(probs[i] − onehot(ids[i])). */
  softmaxCrossEntropyGrad(
    n: number,
    v: number,
    probs: Float32Array,
    ids: Int32Array,
    scale: Float32Array,
    dx: Float32Array,
  ): void;
  /** out[j] = Σ_r x[r·cols + j] (double accumulation): a sum over leading axes, as bias gradients need. */
  sumLeading(rows: number, cols: number, x: Float32Array, out: Float32Array): void;
  /** Σ x², accumulated in double. */
  sumSquares(x: Float32Array): number;
  /** out row i = x row indices[i] (rows of `width`); throws a RangeError naming an index outside [0, rows). */
  gatherRows(rows: number, width: number, x: Float32Array, indices: Int32Array, out: Float32Array): void;
  /**
   * One AdamW step into fresh outputs, in float32 as optimizer.ts's tf-op update; `scalars` (Float64Array):
   * gradScale, beta1, 1 − beta1, beta2, 1 − beta2, vCorrection, epsilon, decay factor, stepSize.
   */
  adamw(
    param: Float32Array,
    grad: Float32Array,
    m: Float32Array,
    v: Float32Array,
    paramOut: Float32Array,
    mOut: Float32Array,
    vOut: Float32Array,
    scalars: Float64Array,
  ): void;
}

export interface LoadedNativeBlas {
  readonly blas: NativeBlas;
  readonly threads: number;
  /** e.g. `OpenBLAS 0.3.21 … SkylakeX …`: which kernels run. */
  readonly description: string;
  readonly file: string;
}

export type NativeBlasOutcome =
  | { readonly ok: true; readonly native: LoadedNativeBlas }
  | { readonly ok: false; readonly reason: string };

export interface LoadNativeBlasOptions {
  /** Reads `ATTUNE_NATIVE_BLAS` (`off` disables), `ATTUNE_NATIVE_BLAS_CACHE`, `ATTUNE_NATIVE_BLAS_THREADS`, `CXX`. */
  env?: NodeJS.ProcessEnv;
  /** The C source to build; tests point it elsewhere to exercise a failing build. */
  source?: string;
}

const SOURCE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'attune-blas.c');
/** Compiled with the main source when they sit beside it (a test's one-file source has none). */
const COMPANIONS = ['attune-fused.c', 'attune-loss.c', 'attune-train.c'];
const HEADER = 'attune-blas.h';
const LIBRARY = 'libopenblas.so.0';
/**
 * Portable code (no -march=native: a cache copied to another CPU must still run; the element-wise loops
 * carry their own AVX2/AVX-512 clones). No fused multiply-add contraction, so every clone computes the
 * same bits, and AdamW the same bits as the tf-op update; no FP traps or errno, so the loops vectorise.
 */
const COMPILE_FLAGS = [
  '-x',
  'c++',
  '-O3',
  '-ffp-contract=off',
  '-fno-trapping-math',
  '-fno-math-errno',
  '-shared',
  '-fPIC',
];
const run = promisify(execFile);

/** `ATTUNE_NATIVE_BLAS` values that turn the native path off. */
export function nativeBlasDisabled(env: NodeJS.ProcessEnv): boolean {
  return ['off', '0', 'false', 'no'].includes((env.ATTUNE_NATIVE_BLAS ?? '').trim().toLowerCase());
}

/**
 * Where Node's C headers (`node_api.h`) are for the Node at `execPath`: `<prefix>/include/node` beside
 * `<prefix>/bin/node`, as installers and distributions lay them out; or, for npm's `node` package (the
 * Node that `npm test` and `npm start` run on, see package.json), in the platform package it installs
 * under itself (`node_modules/node/node_modules/node-<os>-<arch>/include/node`), since it copies only the
 * binary to its own `bin/`.
 */
export function nodeHeaders(execPath: string = process.execPath): string | undefined {
  const prefix = path.dirname(path.dirname(execPath));
  const candidates = [
    path.join(prefix, 'include', 'node'),
    path.join(prefix, 'node_modules', `node-${process.platform}-${process.arch}`, 'include', 'node'),
  ];
  return candidates.find((dir) => existsSync(path.join(dir, 'node_api.h')));
}

/**
 * Project-local cache (`node_modules/.cache/attune-blas`) when a node_modules is reachable, else a
 * per-user directory under the OS temp dir (a bundled Lambda has only /tmp).
 */
function cacheDir(env: NodeJS.ProcessEnv): string {
  if (env.ATTUNE_NATIVE_BLAS_CACHE) return env.ATTUNE_NATIVE_BLAS_CACHE;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const modules = path.join(dir, 'node_modules');
    if (existsSync(modules)) return path.join(modules, '.cache', 'attune-blas');
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return path.join(os.tmpdir(), `attune-blas-${os.userInfo().uid}`);
}

/**
 * The OpenBLAS kernel family for this CPU from its flags, for `OPENBLAS_CORETYPE`. OpenBLAS 0.3.21
 * (Debian 12) does not recognise recent Xeons (e.g. family 6 model 207) and falls back to its generic
 * SSE3 "Prescott" kernels, several times slower than the AVX-512 ones the CPU runs.
 */
export function openblasCoreType(cpuFlags: ReadonlySet<string>): string | undefined {
  if (['avx512f', 'avx512bw', 'avx512vl', 'avx512dq'].every((f) => cpuFlags.has(f))) return 'SkylakeX';
  if (cpuFlags.has('avx2') && cpuFlags.has('fma')) return 'Haswell';
  return undefined;
}

function cpuFlags(): Set<string> {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '';
    return new Set(line.trim().split(/\s+/));
  } catch {
    return new Set();
  }
}

/** The core type to load OpenBLAS with: the user's `OPENBLAS_CORETYPE`, else the one the CPU flags give. */
export function chosenCoreType(env: NodeJS.ProcessEnv): string | undefined {
  return env.OPENBLAS_CORETYPE || openblasCoreType(cpuFlags());
}

/** The files a build compiles: the main source and the companions beside it. */
function sourceFiles(source: string): string[] {
  const beside = COMPANIONS.map((name) => path.join(path.dirname(source), name)).filter(existsSync);
  return [source, ...beside];
}

async function build(sources: string[], target: string, env: NodeJS.ProcessEnv): Promise<void> {
  const headers = nodeHeaders();
  if (!headers) throw new Error(`Node's headers (node_api.h) are not beside ${process.execPath}`);
  mkdirSync(path.dirname(target), { recursive: true });
  const partial = `${target}.${process.pid}.tmp`;
  const args = [...COMPILE_FLAGS, `-I${headers}`, ...sources, '-o', partial, `-l:${LIBRARY}`];
  try {
    await run(env.CXX || 'g++', args, { timeout: 120_000 });
    // Atomic: a concurrent process (another test worker) sees the whole addon or none.
    renameSync(partial, target);
  } finally {
    rmSync(partial, { force: true });
  }
}

/** Multiplies a 2×3 by a 3×2 (the second transposed): a library that loads but computes wrongly is refused. */
function selfTest(blas: NativeBlas): void {
  const c = new Float32Array(4);
  const a = new Float32Array([1, 2, 3, 4, 5, 6]);
  const bT = new Float32Array([1, 0, 2, 0, 1, 1]);
  blas.sgemm(a, bT, c, new Int32Array([1, 1, 1, 2, 2, 3, 0, 1]), new Float32Array([0.5, -0.5]));
  const want = [7.5, 4.5, 16.5, 10.5];
  if (!want.every((v, i) => c[i] === v)) throw new Error(`self-test gave [${[...c]}], want [${want}]`);
}

function loadAddon(file: string, coreType: string | undefined, env: NodeJS.ProcessEnv): NativeBlas {
  // OpenBLAS reads OPENBLAS_CORETYPE once, when the library loads; it is not left set for child processes.
  const previous = process.env.OPENBLAS_CORETYPE;
  if (coreType && !env.OPENBLAS_CORETYPE) process.env.OPENBLAS_CORETYPE = coreType;
  try {
    return createRequire(import.meta.url)(file) as NativeBlas;
  } finally {
    if (previous === undefined) delete process.env.OPENBLAS_CORETYPE;
    else process.env.OPENBLAS_CORETYPE = previous;
  }
}

/** The error's first line, and the compiler's first complaint when a build failed. */
function firstLines(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const stderr = (error as { stderr?: unknown }).stderr;
  const complaint = typeof stderr === 'string' ? stderr.split('\n').find((l) => /error/i.test(l)) : undefined;
  const first = message.split('\n')[0] ?? message;
  return complaint ? `${first}: ${complaint.trim()}` : first;
}

/**
 * Builds (once per machine, Node ABI and source) and loads the native sgemm, sets OpenBLAS to the
 * machine's cores (`ATTUNE_NATIVE_BLAS_THREADS` overrides), and checks it on a small product. Never
 * throws: a reason comes back instead, so callers fall back to the pure wasm kernels.
 */
export async function loadNativeBlas(options: LoadNativeBlasOptions = {}): Promise<NativeBlasOutcome> {
  const env = options.env ?? process.env;
  if (nativeBlasDisabled(env)) return { ok: false, reason: 'ATTUNE_NATIVE_BLAS=off' };
  if (process.platform !== 'linux') return { ok: false, reason: `not built on ${process.platform}` };
  const source = options.source ?? SOURCE;
  if (!existsSync(source)) return { ok: false, reason: `source ${path.basename(source)} not found` };
  try {
    const sources = sourceFiles(source);
    const hash = createHash('sha256');
    const header = path.join(path.dirname(source), HEADER);
    for (const file of existsSync(header) ? [...sources, header] : sources) hash.update(readFileSync(file));
    const key = hash
      .update(`${process.versions.modules} ${process.versions.napi} ${process.arch} ${env.CXX ?? ''}`)
      .update(COMPILE_FLAGS.join(' '))
      .digest('hex')
      .slice(0, 16);
    const file = path.join(cacheDir(env), `attune-blas-abi${process.versions.modules}-${key}.node`);
    if (!existsSync(file)) await build(sources, file, env);
    const coreType = chosenCoreType(env);
    const blas = loadAddon(file, coreType, env);
    const wanted = Number(env.ATTUNE_NATIVE_BLAS_THREADS) || os.availableParallelism();
    const threads = blas.setThreads(wanted);
    selfTest(blas);
    return { ok: true, native: { blas, threads, description: blas.config().trim(), file } };
  } catch (error) {
    return { ok: false, reason: firstLines(error) };
  }
}

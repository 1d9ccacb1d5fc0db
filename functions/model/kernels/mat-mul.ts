import {
  _FusedMatMul,
  BatchMatMul,
  Concat,
  getKernel,
  type KernelConfig,
  type KernelFunc,
  Reshape,
  Slice,
  type TensorInfo,
  Transpose,
} from '@tensorflow/tfjs';

/**
 * Replacements for the wasm backend's matrix-multiplication kernels.
 *
 * - The stock kernels run ~15× slower when `transposeA`/`transposeB` is set, and every matmul gradient
 *   sets one; transposing explicitly (a fast native kernel) and multiplying untransposed is far cheaper.
 * - The stock `_FusedMatMul` adds the bias wrongly whenever the batch is larger than 1 (it is right for
 *   a single matrix), so batched calls with a bias are folded into one matrix or run matrix by matrix.
 */

interface WasmBackendLike {
  disposeData(dataId: object): boolean;
}

type Run = (name: string, inputs: Record<string, TensorInfo>, attrs: Record<string, unknown>) => TensorInfo;

function stock(kernelName: string): KernelConfig {
  const config = getKernel(kernelName, 'wasm');
  if (!config) throw new Error(`the wasm backend has no ${kernelName} kernel to wrap`);
  return config;
}

function runner(backend: WasmBackendLike, originals: Map<string, KernelConfig>): Run {
  return (name, inputs, attrs) => {
    const kernel = originals.get(name) ?? stock(name);
    return kernel.kernelFunc({ inputs, backend, attrs: attrs as never }) as TensorInfo;
  };
}

/** Swaps the last two axes, or returns the input untouched when `transpose` is false. */
function untranspose(run: Run, x: TensorInfo, transpose: boolean, temps: TensorInfo[]): TensorInfo {
  if (!transpose) return x;
  const rank = x.shape.length;
  const perm = [...Array(rank).keys()];
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  const out = run(Transpose, { x }, { perm });
  temps.push(out);
  return out;
}

function batchSize(x: TensorInfo): number {
  return x.shape.slice(0, -2).reduce((n, d) => n * d, 1);
}

function makeBatchMatMul(originals: Map<string, KernelConfig>): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const run = runner(backend as WasmBackendLike, originals);
    const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
    const temps: TensorInfo[] = [];
    const a = untranspose(run, inputs.a as TensorInfo, transposeA, temps);
    const b = untranspose(run, inputs.b as TensorInfo, transposeB, temps);
    const out = run(BatchMatMul, { a, b }, { transposeA: false, transposeB: false });
    for (const t of temps) (backend as WasmBackendLike).disposeData(t.dataId);
    return out;
  };
}

/** One matrix at a time: the stock kernel is right for a batch of one. */
function fusedPerMatrix(
  run: Run,
  a: TensorInfo,
  b: TensorInfo,
  extra: Record<string, TensorInfo>,
  attrs: Record<string, unknown>,
  temps: TensorInfo[],
): TensorInfo {
  const [batchA, m, k] = a.shape as [number, number, number];
  const [batchB, , n] = b.shape as [number, number, number];
  const batch = Math.max(batchA, batchB);
  const parts: TensorInfo[] = [];
  for (let i = 0; i < batch; i++) {
    const ai = run(Slice, { x: a }, { begin: [batchA === 1 ? 0 : i, 0, 0], size: [1, m, k] });
    const bi = run(Slice, { x: b }, { begin: [batchB === 1 ? 0 : i, 0, 0], size: [1, k, n] });
    temps.push(ai, bi);
    const part = run(_FusedMatMul, { a: ai, b: bi, ...extra }, attrs);
    parts.push(part);
    temps.push(part);
  }
  // The Concat kernel takes its inputs as an array.
  return run(Concat, parts as unknown as Record<string, TensorInfo>, { axis: 0 });
}

function makeFusedMatMul(originals: Map<string, KernelConfig>): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const run = runner(backend as WasmBackendLike, originals);
    const { transposeA, transposeB, ...rest } = attrs as Record<string, unknown>;
    const fusedAttrs = { ...rest, transposeA: false, transposeB: false };
    const temps: TensorInfo[] = [];
    const a = untranspose(run, inputs.a as TensorInfo, transposeA === true, temps);
    const b = untranspose(run, inputs.b as TensorInfo, transposeB === true, temps);
    const extra: Record<string, TensorInfo> = {};
    if (inputs.bias) extra.bias = inputs.bias as TensorInfo;
    if (inputs.preluActivationWeights)
      extra.preluActivationWeights = inputs.preluActivationWeights as TensorInfo;
    let out: TensorInfo;
    if (Object.keys(extra).length === 0 || Math.max(batchSize(a), batchSize(b)) === 1) {
      out = run(_FusedMatMul, { a, b, ...extra }, fusedAttrs);
    } else if (batchSize(b) === 1) {
      const [m, k] = a.shape.slice(-2) as [number, number];
      const flatA = run(Reshape, { x: a }, { shape: [1, batchSize(a) * m, k] });
      temps.push(flatA);
      const flatOut = run(_FusedMatMul, { a: flatA, b, ...extra }, fusedAttrs);
      temps.push(flatOut);
      const n = b.shape[b.shape.length - 1] as number;
      out = run(Reshape, { x: flatOut }, { shape: [...a.shape.slice(0, -2), m, n] });
    } else {
      out = fusedPerMatrix(run, a, b, extra, fusedAttrs, temps);
    }
    for (const t of temps) (backend as WasmBackendLike).disposeData(t.dataId);
    return out;
  };
}

/** The stock configs, captured before any replacement is registered (they are what the wrappers call). */
let stockConfigs: Map<string, KernelConfig> | undefined;

/**
 * Kernel configs that replace the stock wasm `BatchMatMul` and `_FusedMatMul`, keeping their setup.
 * Safe to call again after registering them: the stock kernels are captured on the first call.
 */
export function matMulKernelConfigs(): KernelConfig[] {
  stockConfigs ??= new Map<string, KernelConfig>(
    [BatchMatMul, _FusedMatMul, Transpose, Reshape, Slice, Concat].map((name) => [name, stock(name)]),
  );
  const originals = stockConfigs;
  const batch = originals.get(BatchMatMul) as KernelConfig;
  const fused = originals.get(_FusedMatMul) as KernelConfig;
  return [
    { ...batch, kernelFunc: makeBatchMatMul(originals) },
    { ...fused, kernelFunc: makeFusedMatMul(originals) },
  ];
}

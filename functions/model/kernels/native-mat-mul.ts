import {
  _FusedMatMul,
  BatchMatMul,
  broadcast_util,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs';
import type { WasmHeapBackend } from '#model/kernels/wasm-heap.ts';
import type { NativeBlas } from '#model/native/native-blas.ts';

/**
 * BatchMatMul and _FusedMatMul for the wasm backend computed by the native OpenBLAS sgemm
 * (functions/model/native), on the wasm heap in place: the operands are Float32Array views of the
 * tensors' wasm memory and the product is written straight into the output tensor's. Transposes are
 * BLAS flags, not copies. Anything the native call does not cover (non-float32, batch shapes that are
 * neither equal nor a batch of one, activations, a bias that is not one row) goes to the pure wasm kernel.
 */

interface Plan {
  params: Int32Array;
  outShape: number[];
  n: number;
}

/** Shapes of `op(a)·op(b)` as one sgemm call, or undefined when the native call cannot express it. */
function plan(a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): Plan | undefined {
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return;
  const [a0, a1] = a.shape.slice(-2) as [number, number];
  const [b0, b1] = b.shape.slice(-2) as [number, number];
  const [m, k] = transposeA ? [a1, a0] : [a0, a1];
  const [kB, n] = transposeB ? [b1, b0] : [b0, b1];
  if (k !== kB) return;
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  let outer: number[];
  try {
    outer = broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  } catch {
    return;
  }
  const batch = util.sizeFromShape(outer);
  const batchA = util.sizeFromShape(outerA);
  const batchB = util.sizeFromShape(outerB);
  if ((batchA !== batch && batchA !== 1) || (batchB !== batch && batchB !== 1)) return;
  const params = Int32Array.of(batch, batchA, batchB, m, n, k, transposeA ? 1 : 0, transposeB ? 1 : 0);
  return { params, outShape: [...outer, m, n], n };
}

function multiply(
  blas: NativeBlas,
  backend: WasmHeapBackend,
  a: TensorInfo,
  b: TensorInfo,
  p: Plan,
  bias?: TensorInfo,
): TensorInfo {
  // Allocate first: allocation may grow (and so detach) the wasm memory that the views look into.
  const out = backend.makeOutput(p.outShape, 'float32');
  const view = (t: TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;
  blas.sgemm(view(a), view(b), view(out), p.params, bias ? view(bias) : undefined);
  return out;
}

function nativeBatchMatMul(blas: NativeBlas, fallback: KernelFunc): KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const p = plan(a, b, transposeA === true, transposeB === true);
    if (!p) return fallback(args);
    return multiply(blas, args.backend as WasmHeapBackend, a, b, p);
  };
}

/** A bias the native call adds: float32, one value per output column (shape `[n]`, `[1, n]`, …). */
function isRowBias(bias: TensorInfo | undefined, n: number): boolean {
  if (!bias) return true;
  return bias.dtype === 'float32' && bias.shape.at(-1) === n && util.sizeFromShape(bias.shape) === n;
}

function nativeFusedMatMul(blas: NativeBlas, fallback: KernelFunc): KernelFunc {
  return (args) => {
    const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
    const { transposeA, transposeB, activation } = args.attrs as {
      transposeA: boolean;
      transposeB: boolean;
      activation?: string;
    };
    const p = plan(a as TensorInfo, b as TensorInfo, transposeA === true, transposeB === true);
    const plain = (activation ?? 'linear') === 'linear' && !preluActivationWeights;
    if (!p || !plain || !isRowBias(bias, p.n)) return fallback(args);
    return multiply(blas, args.backend as WasmHeapBackend, a as TensorInfo, b as TensorInfo, p, bias);
  };
}

/**
 * Native versions of the wasm matmul kernels; `pure` are the pure wasm configs they fall back to
 * (their setup functions are kept, so the fallback kernels are initialised as before).
 */
export function nativeMatMulKernelConfigs(blas: NativeBlas, pure: readonly KernelConfig[]): KernelConfig[] {
  return pure.map((config) => {
    if (config.kernelName === BatchMatMul) {
      return { ...config, kernelFunc: nativeBatchMatMul(blas, config.kernelFunc) };
    }
    if (config.kernelName === _FusedMatMul) {
      return { ...config, kernelFunc: nativeFusedMatMul(blas, config.kernelFunc) };
    }
    return config;
  });
}

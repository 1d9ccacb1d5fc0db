import {
  backend_util,
  GatherV2,
  getKernel,
  type KernelConfig,
  type KernelFunc,
  SplitV,
  Sum,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs';
import type { WasmHeapBackend } from '#model/kernels/wasm-heap.ts';
import type { NativeBlas } from '#model/native/native-blas.ts';

/**
 * `Sum` over leading axes, row `GatherV2` and last-axis `SplitV` for the wasm backend when the native
 * addon is loaded, each falling back to the stock wasm kernel for every other case.
 *
 * Why: the gradient of a bias added over `[rows, C]` is a sum over the leading axes, and the stock wasm
 * `Sum` reduces only innermost axes, so it first transposes the whole gradient: ~5 ms for a
 * `[1024, 512]` gradient, ~40 ms a step on the reference model. The stock `GatherV2` walks every element
 * through generic strides (~8 ms to gather 1,024 embedding rows); copying whole rows is ~50× faster.
 * Splitting attention's fused q/k/v projection `[rows, 3C]` along its last axis takes the stock kernel
 * ~3 ms a layer; copying row segments takes a tenth of that.
 */

const stockConfigs = new Map<string, KernelConfig>();

/** The wasm backend's own kernel, captured before Attune's replacement is first registered. */
export function stockWasmKernel(kernelName: string): KernelConfig {
  let config = stockConfigs.get(kernelName);
  if (!config) {
    config = getKernel(kernelName, 'wasm');
    if (!config) throw new Error(`the wasm backend has no ${kernelName} kernel to wrap`);
    stockConfigs.set(kernelName, config);
  }
  return config;
}

/** `[rows, cols]` when `axes` are exactly the leading axes 0..k-1 of `shape` (k < rank), else undefined. */
export function leadingReduction(
  shape: readonly number[],
  axes: readonly number[],
): [number, number] | undefined {
  const sorted = [...axes].sort((a, b) => a - b);
  const k = sorted.length;
  if (k === 0 || k >= shape.length || !sorted.every((axis, i) => axis === i)) return undefined;
  return [util.sizeFromShape(shape.slice(0, k)), util.sizeFromShape(shape.slice(k))];
}

const nativeSum =
  (blas: NativeBlas, stock: KernelFunc): KernelFunc =>
  (args) => {
    const x = args.inputs.x as TensorInfo;
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    if (x.dtype !== 'float32') return stock(args);
    const axes = util.parseAxisParam(axis, x.shape);
    const plan = leadingReduction(x.shape, axes);
    if (!plan || plan[0] === 0 || plan[1] === 0) return stock(args);
    const kept = x.shape.slice(axes.length);
    const shape = keepDims ? [...axes.map(() => 1), ...kept] : kept;
    const backend = args.backend as WasmHeapBackend;
    const out = backend.makeOutput(shape, 'float32');
    const view = (t: TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;
    blas.sumLeading(plan[0], plan[1], view(x), view(out));
    return out;
  };

const nativeGather =
  (blas: NativeBlas, stock: KernelFunc): KernelFunc =>
  (args) => {
    const { x, indices } = args.inputs as { x: TensorInfo; indices: TensorInfo };
    const { axis, batchDims } = args.attrs as unknown as { axis: number; batchDims: number };
    const rows = x.shape[0] ?? 0;
    const width = util.sizeFromShape(x.shape.slice(1));
    const plain = x.dtype === 'float32' && indices.dtype === 'int32' && (batchDims ?? 0) === 0;
    if (!plain || x.shape.length === 0 || util.parseAxisParam(axis, x.shape)[0] !== 0 || rows * width === 0) {
      return stock(args);
    }
    const backend = args.backend as WasmHeapBackend;
    const out = backend.makeOutput([...indices.shape, ...x.shape.slice(1)], 'float32');
    const view = (t: TensorInfo) => backend.typedArrayFromHeap(t);
    blas.gatherRows(
      rows,
      width,
      view(x) as Float32Array,
      view(indices) as Int32Array,
      view(out) as Float32Array,
    );
    return out;
  };

/** Splits along the last axis of a float32 tensor by copying row segments (views into the wasm heap). */
const rowSplit =
  (stock: KernelFunc): KernelFunc =>
  (args) => {
    const x = args.inputs.x as TensorInfo;
    const { numOrSizeSplits, axis } = args.attrs as unknown as {
      numOrSizeSplits: number | number[];
      axis: number;
    };
    const last = x.shape.length - 1;
    if (x.dtype !== 'float32' || last < 1 || util.parseAxisParam(axis, x.shape)[0] !== last)
      return stock(args);
    const sizes = backend_util.prepareSplitSize(x, numOrSizeSplits, last);
    const width = x.shape[last] as number;
    const rows = util.sizeFromShape(x.shape) / width;
    const backend = args.backend as WasmHeapBackend;
    const outs = sizes.map((size) => backend.makeOutput([...x.shape.slice(0, last), size], 'float32'));
    const xs = backend.typedArrayFromHeap(x) as Float32Array;
    let offset = 0;
    outs.forEach((out, i) => {
      const size = sizes[i] as number;
      const ys = backend.typedArrayFromHeap(out) as Float32Array;
      for (let r = 0; r < rows; r++)
        ys.set(xs.subarray(r * width + offset, r * width + offset + size), r * size);
      offset += size;
    });
    return outs;
  };

/**
 * With `native`, the compiled `Sum` and `GatherV2` and the row-copying `SplitV`; without, the stock
 * configs again (so a swap back to the pure kernels, as the benchmark does, restores them). Each keeps
 * the stock setup function.
 */
export function trainKernelConfigs(native?: NativeBlas): KernelConfig[] {
  const sum = stockWasmKernel(Sum);
  const gather = stockWasmKernel(GatherV2);
  const split = stockWasmKernel(SplitV);
  if (!native) return [sum, gather, split];
  return [
    { ...sum, kernelFunc: nativeSum(native, sum.kernelFunc) },
    { ...gather, kernelFunc: nativeGather(native, gather.kernelFunc) },
    { ...split, kernelFunc: rowSplit(split.kernelFunc) },
  ];
}

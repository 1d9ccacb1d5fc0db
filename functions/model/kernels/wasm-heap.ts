import type { TensorInfo } from '@tensorflow/tfjs';

/**
 * The two methods of the TF.js wasm backend that Attune's kernels use to work on the wasm heap in place:
 * allocate an output tensor, and view a tensor's memory as a typed array. They are public on the backend
 * class but not in tfjs-core's `KernelBackend` type, so every kernel reaches them through this one type.
 */
export interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: TensorInfo['dtype']): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** float32 outputs and float32 views of the wasm heap, for kernels that only read and write float32. */
export function float32Heap(backend: unknown) {
  const wasm = backend as WasmHeapBackend;
  return {
    out: (shape: number[]) => wasm.makeOutput(shape, 'float32'),
    view: (t: TensorInfo) => wasm.typedArrayFromHeap(t) as Float32Array,
  };
}

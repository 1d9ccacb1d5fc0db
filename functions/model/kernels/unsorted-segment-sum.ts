import { type KernelConfig, type KernelFunc, type TensorInfo, UnsortedSegmentSum } from '@tensorflow/tfjs';
import type { WasmHeapBackend } from '#model/kernels/wasm-heap.ts';

/**
 * `UnsortedSegmentSum` for the wasm backend, which has none: the gradient of `tf.gather` (the token
 * embedding lookup) needs it, so without it full fine-tuning cannot run on wasm. Written in JS over the
 * wasm heap: it is a single pass over the gradient rows, small next to the matmuls around it.
 */

const unsortedSegmentSum: KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as WasmHeapBackend;
  const x = inputs.x as TensorInfo;
  const segmentIds = inputs.segmentIds as TensorInfo;
  const { numSegments } = attrs as { numSegments: number };
  const idRank = segmentIds.shape.length;
  const rowSize = x.shape.slice(idRank).reduce((n, d) => n * d, 1);
  const outShape = [numSegments, ...x.shape.slice(idRank)];
  // Allocate before taking heap views: allocation may grow (and so detach) the wasm memory.
  const out = wasm.makeOutput(outShape, x.dtype);
  const result = wasm.typedArrayFromHeap(out);
  const values = wasm.typedArrayFromHeap(x);
  const ids = wasm.typedArrayFromHeap(segmentIds);
  result.fill(0);
  for (let i = 0; i < ids.length; i++) {
    const segment = ids[i] as number;
    // TensorFlow's semantics: ids outside [0, numSegments) are dropped.
    if (segment < 0 || segment >= numSegments) continue;
    const from = i * rowSize;
    const to = segment * rowSize;
    for (let j = 0; j < rowSize; j++)
      result[to + j] = (result[to + j] as number) + (values[from + j] as number);
  }
  return out;
};

/** The kernel config to register on the wasm backend. */
export const unsortedSegmentSumConfig: KernelConfig = {
  kernelName: UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSum,
};

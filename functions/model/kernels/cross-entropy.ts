import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import type { WasmHeapBackend } from '#model/kernels/wasm-heap.ts';
import type { NativeBlas } from '#model/native/native-blas.ts';

/**
 * Softmax cross-entropy over `[N, V]` logits as one compiled kernel each way, when the native addon is
 * loaded. Why: after the matmuls, the loss's passes over `[N, vocab]` (max, subtract, exp, sum, log,
 * divide; then multiply, gather and a scatter that copies the whole matrix) cost about a tenth of a
 * training step, most of it the wasm backend's scalar `exp`. Without the addon the loss keeps its tf-op
 * formulation (a JS loop here measured slower than those ops).
 */

export const SOFTMAX_CROSS_ENTROPY = 'AttuneSoftmaxCrossEntropy';
export const SOFTMAX_CROSS_ENTROPY_GRAD = 'AttuneSoftmaxCrossEntropyGrad';

const forward =
  (blas: NativeBlas): KernelFunc =>
  ({ inputs, backend }) => {
    const logits = inputs.logits as TensorInfo;
    const [n, v] = logits.shape as [number, number];
    const wasm = backend as WasmHeapBackend;
    const nll = wasm.makeOutput([n], 'float32');
    const probs = wasm.makeOutput([n, v], 'float32');
    const view = (t: TensorInfo) => wasm.typedArrayFromHeap(t);
    blas.softmaxCrossEntropy(
      n,
      v,
      view(logits) as Float32Array,
      view(inputs.ids as TensorInfo) as Int32Array,
      view(nll) as Float32Array,
      view(probs) as Float32Array,
    );
    return [nll, probs];
  };

const backward =
  (blas: NativeBlas): KernelFunc =>
  ({ inputs, backend }) => {
    const probs = inputs.probs as TensorInfo;
    const [n, v] = probs.shape as [number, number];
    const wasm = backend as WasmHeapBackend;
    const dx = wasm.makeOutput([n, v], 'float32');
    const view = (t: TensorInfo) => wasm.typedArrayFromHeap(t);
    blas.softmaxCrossEntropyGrad(
      n,
      v,
      view(probs) as Float32Array,
      view(inputs.ids as TensorInfo) as Int32Array,
      view(inputs.scale as TensorInfo) as Float32Array,
      view(dx) as Float32Array,
    );
    return dx;
  };

export const CROSS_ENTROPY_KERNELS = [SOFTMAX_CROSS_ENTROPY, SOFTMAX_CROSS_ENTROPY_GRAD];

/** The kernel configs to register on the wasm backend with the native addon. */
export function crossEntropyKernelConfigs(blas: NativeBlas): KernelConfig[] {
  return [
    { kernelName: SOFTMAX_CROSS_ENTROPY, backendName: 'wasm', kernelFunc: forward(blas) },
    { kernelName: SOFTMAX_CROSS_ENTROPY_GRAD, backendName: 'wasm', kernelFunc: backward(blas) },
  ];
}

/** Whether the active backend has these kernels (wasm with the native addon loaded). */
export function hasCrossEntropyKernels(): boolean {
  return tf.getKernel(SOFTMAX_CROSS_ENTROPY, tf.getBackend()) !== undefined;
}

/** Per-row negative log-likelihood `[N]` and the softmax `[N, V]` of float32 logits, int32 targets. */
export function softmaxCrossEntropyRows(logits: tf.Tensor2D, ids: tf.Tensor1D): [tf.Tensor1D, tf.Tensor2D] {
  return tf.engine().runKernel(SOFTMAX_CROSS_ENTROPY, { logits, ids }, {}) as unknown as [
    tf.Tensor1D,
    tf.Tensor2D,
  ];
}

/** The gradient of Σ scale[i]·nll[i] with respect to the logits, from the forward's softmax. */
export function softmaxCrossEntropyRowsGrad(
  probs: tf.Tensor2D,
  ids: tf.Tensor1D,
  scale: tf.Tensor1D,
): tf.Tensor2D {
  return tf.engine().runKernel(SOFTMAX_CROSS_ENTROPY_GRAD, { probs, ids, scale }, {}) as tf.Tensor2D;
}

import * as tf from '@tensorflow/tfjs';
import { _FusedMatMul, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';

/**
 * `x·w + b` for 2-D `x` as one kernel with a registered gradient, for the wasm backend.
 *
 * Why: `tf.fused.matMul` wraps its kernel in a `customGrad` whose gradient computes the gradients of all
 * of x, w and b whenever any one is asked for. In prompt tuning only x's gradient is needed (the weights
 * are frozen), yet every linear layer also paid for `xᵀ·dy` and the bias sum: about a fifth of a step's
 * multiply work. A registered gradient gives the tape one closure per input, and it calls only those on
 * the path to the trained tensors. The forward runs whichever `_FusedMatMul` the wasm backend has (the
 * native sgemm or the pure wasm one), so the result is the same as `tf.fused.matMul`'s.
 */

export const LINEAR = 'AttuneLinear';

const linearKernel: KernelFunc = ({ inputs, backend }) => {
  const { x, w, b } = inputs as Record<'x' | 'w' | 'b', TensorInfo>;
  const [n, k] = x.shape as [number, number];
  const m = w.shape[1] as number;
  const fused = tf.getKernel(_FusedMatMul, 'wasm');
  if (!fused) throw new Error('the wasm backend has no _FusedMatMul kernel');
  // Rank-3 views of the same buffers, as tfjs-core's fused matMul passes them; the output is relabelled 2-D.
  const out = fused.kernelFunc({
    inputs: { a: { ...x, shape: [1, n, k] }, b: { ...w, shape: [1, k, m] }, bias: b },
    attrs: { transposeA: false, transposeB: false, activation: 'linear' } as never,
    backend,
  }) as TensorInfo;
  return { ...out, shape: [n, m] };
};

/** Registered on the wasm backend in both modes (its forward delegates to the registered `_FusedMatMul`). */
export const linearKernelConfig: KernelConfig = {
  kernelName: LINEAR,
  backendName: 'wasm',
  kernelFunc: linearKernel,
};

if (!tf.getGradient(LINEAR)) {
  tf.registerGradient({
    kernelName: LINEAR,
    inputsToSave: ['x', 'w'],
    gradFunc: (dy, saved) => {
      const [x, w] = saved as [tf.Tensor2D, tf.Tensor2D];
      const g = dy as tf.Tensor2D;
      return {
        x: () => tf.matMul(g, w, false, true),
        w: () => tf.matMul(x, g, true, false),
        b: () => tf.sum(g, 0),
      };
    },
  });
}

/** Whether the active backend has the kernel (wasm with Attune's kernels registered). */
export function hasLinearKernel(): boolean {
  return tf.getKernel(LINEAR, tf.getBackend()) !== undefined;
}

/** `x·w + b`: x `[N, K]`, w `[K, M]`, b `[M]` (float32). Needs {@link hasLinearKernel}. */
export function linear(x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  const [, k] = x.shape;
  if (w.rank !== 2 || w.shape[0] !== k || b.rank !== 1 || b.shape[0] !== w.shape[1]) {
    throw new RangeError(`linear: x [${x.shape}], w [${w.shape}] and b [${b.shape}] do not fit x·w + b`);
  }
  return tf.engine().runKernel(LINEAR, { x, w, b }, {}) as tf.Tensor2D;
}

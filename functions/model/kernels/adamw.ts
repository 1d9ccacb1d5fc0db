import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import type { WasmHeapBackend } from '#model/kernels/wasm-heap.ts';
import type { NativeBlas } from '#model/native/native-blas.ts';

/**
 * AdamW's update and the global gradient norm as one kernel call per trained tensor (and one for the
 * norm), compiled in the native addon or as JS loops over the wasm heap.
 *
 * Why: written as tf ops, the update is ~12 kernels per tensor and the norm 2 more, ~700 dispatches a
 * step for GPT-2's 52 tensors, each a pass over memory; the loop is one pass. Out of place: the kernel
 * allocates new tensors for the parameter and both moments (never writing into an input's buffer, which
 * the zero-copy Identity may share), and the optimizer assigns them. Both implementations compute in
 * float32, each scalar rounded to float32, in the order of the tf-op update, so they give its bits.
 */

export const ADAMW = 'AttuneAdamW';
export const SUM_OF_SQUARES = 'AttuneSumOfSquares';

/** The step's scalars, as JS numbers; each is rounded to float32, as a tf scalar would be. */
export interface AdamWScalars {
  readonly gradScale: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly vCorrection: number;
  /** 1 − lr·weightDecay for a decayed tensor, 1 for the others. */
  readonly decay: number;
  /** lr / (1 − β1ᵗ). */
  readonly stepSize: number;
}

/** The order the native call takes them in (attune-train.c). */
function scalarArray(k: AdamWScalars): Float64Array {
  return Float64Array.of(
    k.gradScale,
    k.beta1,
    1 - k.beta1,
    k.beta2,
    1 - k.beta2,
    k.vCorrection,
    k.epsilon,
    k.decay,
    k.stepSize,
  );
}

type AdamWArgs = Parameters<NativeBlas['adamw']>;

/** The JS loop: Math.fround after every operation, as float32 kernels round. */
function adamwLoop(...[p, g, m, v, pOut, mOut, vOut, scalars]: AdamWArgs): void {
  const [gs = 1, b1 = 0, ob1 = 0, b2 = 0, ob2 = 0, vc = 1, eps = 0, decay = 1, step = 0] =
    Float32Array.from(scalars);
  const f = Math.fround;
  for (let i = 0; i < p.length; i++) {
    const gi = f((g[i] as number) * gs);
    const mi = f(f((m[i] as number) * b1) + f(gi * ob1));
    const vi = f(f((v[i] as number) * b2) + f(f(gi * gi) * ob2));
    const denom = f(f(Math.sqrt(f(vi / vc))) + eps);
    pOut[i] = f(f((p[i] as number) * decay) - f(f(mi / denom) * step));
    mOut[i] = mi;
    vOut[i] = vi;
  }
}

const adamwKernel =
  (native?: NativeBlas): KernelFunc =>
  ({ inputs, backend, attrs }) => {
    const wasm = backend as WasmHeapBackend;
    const { param, grad, m, v } = inputs as Record<'param' | 'grad' | 'm' | 'v', TensorInfo>;
    const outputs = [param, m, v].map((t) => wasm.makeOutput([...t.shape], 'float32'));
    // Views after every allocation: an allocation may grow the wasm memory and detach earlier views.
    const views = [param, grad, m, v, ...outputs].map((t) => wasm.typedArrayFromHeap(t));
    const args = [
      ...views,
      Float64Array.from((attrs as unknown as { scalars: number[] }).scalars),
    ] as AdamWArgs;
    if (native) native.adamw(...args);
    else adamwLoop(...args);
    return outputs;
  };

const sumOfSquaresKernel =
  (native?: NativeBlas): KernelFunc =>
  ({ inputs, backend }) => {
    const wasm = backend as WasmHeapBackend;
    const out = wasm.makeOutput([], 'float32');
    let total = 0;
    for (const t of Object.values(inputs) as TensorInfo[]) {
      const x = wasm.typedArrayFromHeap(t) as Float32Array;
      if (native) total += native.sumSquares(x);
      else for (let i = 0; i < x.length; i++) total += (x[i] as number) * (x[i] as number);
    }
    (wasm.typedArrayFromHeap(out) as Float32Array)[0] = total;
    return out;
  };

/** The kernel configs to register on the wasm backend: compiled with `native`, else JS loops. */
export function adamwKernelConfigs(native?: NativeBlas): KernelConfig[] {
  return [
    { kernelName: ADAMW, backendName: 'wasm', kernelFunc: adamwKernel(native) },
    { kernelName: SUM_OF_SQUARES, backendName: 'wasm', kernelFunc: sumOfSquaresKernel(native) },
  ];
}

/** Whether the active backend has these kernels (wasm with Attune's kernels registered). */
export function hasAdamWKernels(): boolean {
  return tf.getKernel(ADAMW, tf.getBackend()) !== undefined;
}

/** One AdamW step for one tensor: `[param, m, v]` after it, as new tensors. Needs {@link hasAdamWKernels}. */
export function adamwStep(
  param: tf.Tensor,
  grad: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  scalars: AdamWScalars,
): [tf.Tensor, tf.Tensor, tf.Tensor] {
  for (const [name, t] of Object.entries({ param, grad, m, v })) {
    if (t.dtype !== 'float32' || !tf.util.arraysEqual(t.shape, param.shape)) {
      throw new RangeError(
        `AdamW ${name} [${t.shape}] ${t.dtype} does not match the float32 parameter [${param.shape}]`,
      );
    }
  }
  const attrs = { scalars: Array.from(scalarArray(scalars)) };
  return tf.engine().runKernel(ADAMW, { param, grad, m, v }, attrs as never) as unknown as [
    tf.Tensor,
    tf.Tensor,
    tf.Tensor,
  ];
}

/** Σ x² over every element of every tensor, accumulated in double. Needs {@link hasAdamWKernels}. */
export function sumOfSquares(tensors: readonly tf.Tensor[]): number {
  if (tensors.some((t) => t.dtype !== 'float32')) throw new RangeError('sumOfSquares needs float32 tensors');
  const inputs = Object.fromEntries(tensors.map((t, i) => [`x${i}`, t]));
  const total = tf.engine().runKernel(SUM_OF_SQUARES, inputs, {}) as tf.Tensor;
  const value = total.dataSync()[0] as number;
  total.dispose();
  return value;
}

import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import { float32Heap } from '#model/kernels/wasm-heap.ts';
import type { NativeBlas } from '#model/native/native-blas.ts';

/**
 * The fused GELU and LayerNorm kernels of fused-ops.ts with their loops run compiled in the native addon
 * (functions/model/native/attune-fused.c): the same inputs, attributes and outputs as the JS kernels.
 */

const nativeGelu =
  (blas: NativeBlas): KernelFunc =>
  ({ inputs, backend }) => {
    const x = inputs.x as TensorInfo;
    const h = float32Heap(backend);
    const out = h.out([...x.shape]);
    blas.gelu(h.view(x), h.view(out));
    return out;
  };

const nativeGeluGrad =
  (blas: NativeBlas): KernelFunc =>
  ({ inputs, backend }) => {
    const x = inputs.x as TensorInfo;
    const h = float32Heap(backend);
    const out = h.out([...x.shape]);
    blas.geluGrad(h.view(x), h.view(inputs.dy as TensorInfo), h.view(out));
    return out;
  };

const nativeLayerNorm =
  (blas: NativeBlas): KernelFunc =>
  ({ inputs, backend, attrs }) => {
    const x = inputs.x as TensorInfo;
    const c = x.shape.at(-1) as number;
    const rows = tf.util.sizeFromShape(x.shape) / c;
    const h = float32Heap(backend);
    const out = h.out([...x.shape]);
    const mean = h.out([rows]);
    const rstd = h.out([rows]);
    const { epsilon } = attrs as unknown as { epsilon: number };
    const v = (t: unknown) => h.view(t as TensorInfo);
    blas.layerNorm(rows, c, epsilon, v(x), v(inputs.gain), v(inputs.bias), v(out), v(mean), v(rstd));
    return [out, mean, rstd];
  };

const nativeLayerNormGrad =
  (blas: NativeBlas): KernelFunc =>
  ({ inputs, backend }) => {
    const x = inputs.x as TensorInfo;
    const c = x.shape.at(-1) as number;
    const rows = tf.util.sizeFromShape(x.shape) / c;
    const h = float32Heap(backend);
    const dx = h.out([...x.shape]);
    const dg = h.out([c]);
    const db = h.out([c]);
    const v = (t: unknown) => h.view(t as TensorInfo);
    const { dy, gain, mean, rstd } = inputs;
    blas.layerNormGrad(rows, c, v(x), v(dy), v(gain), v(mean), v(rstd), v(dx), v(dg), v(db));
    return [dx, dg, db];
  };

export interface CompiledFusedKernels {
  readonly gelu: KernelFunc;
  readonly geluGrad: KernelFunc;
  readonly layerNorm: KernelFunc;
  readonly layerNormGrad: KernelFunc;
}

/** The four kernel functions over `blas`. */
export function compiledFusedKernels(blas: NativeBlas): CompiledFusedKernels {
  return {
    gelu: nativeGelu(blas),
    geluGrad: nativeGeluGrad(blas),
    layerNorm: nativeLayerNorm(blas),
    layerNormGrad: nativeLayerNormGrad(blas),
  };
}

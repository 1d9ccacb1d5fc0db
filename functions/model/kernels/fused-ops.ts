import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import { adamwKernelConfigs } from '#model/kernels/adamw.ts';
import { type CompiledFusedKernels, compiledFusedKernels } from '#model/kernels/fused-ops-native.ts';
import { linearKernelConfig } from '#model/kernels/linear.ts';
import { trainKernelConfigs } from '#model/kernels/native-train-kernels.ts';
import { float32Heap } from '#model/kernels/wasm-heap.ts';
import type { NativeBlas } from '#model/native/native-blas.ts';

/**
 * Fused GELU and LayerNorm for the wasm backend, forward and backward, written in JS over the wasm heap.
 *
 * Why: once the matmuls are fast, a training step's time goes to element-wise work, and TF.js spells a
 * LayerNorm as ~10 kernels forward and ~25 backward (moments, casts, broadcasts, identities), GELU as
 * ~10 each way, every one a full pass over memory plus a dispatch. One pass per direction computes the
 * same functions (GPT-2's `gelu_new` tanh approximation; LayerNorm with the biased variance, as
 * `tf.moments` and PyTorch use), with statistics accumulated in float64. On other backends (cpu in tests,
 * tfjs-node in the images) the kernels are absent and callers use the composite ops. With the native
 * addon loaded, the same loops run compiled (functions/model/native/attune-blas.c).
 */

export const GELU = 'AttuneGelu';
export const GELU_GRAD = 'AttuneGeluGrad';
export const LAYER_NORM = 'AttuneLayerNorm';
export const LAYER_NORM_GRAD = 'AttuneLayerNormGrad';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const CUBIC = 0.044715;
const TANH_CLAMP = 7.905311107635498;

/**
 * tanh as Eigen's float rational approximation (degree 13/6, clamped at ±7.905, where tanh rounds to ±1
 * in float32): within a few float32 ulps of tanh, and several times faster in JS than Math.tanh or exp.
 */
function tanh(value: number): number {
  const x = Math.min(TANH_CLAMP, Math.max(-TANH_CLAMP, value));
  const x2 = x * x;
  let p = x2 * -2.76076847742355e-16 + 2.00018790482477e-13;
  p = x2 * p + -8.60467152213735e-11;
  p = x2 * p + 5.12229709037114e-8;
  p = x2 * p + 1.48572235717979e-5;
  p = x2 * p + 6.37261928875436e-4;
  p = x2 * p + 4.89352455891786e-3;
  p = x * p;
  let q = x2 * 1.19825839466702e-6 + 1.18534705686654e-4;
  q = x2 * q + 2.268434632439e-3;
  q = x2 * q + 4.89352518554385e-3;
  return p / q;
}

const gelu: KernelFunc = ({ inputs, backend }) => {
  const x = inputs.x as TensorInfo;
  const h = float32Heap(backend);
  const out = h.out([...x.shape]);
  const xs = h.view(x);
  const ys = h.view(out);
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i] as number;
    ys[i] = 0.5 * v * (1 + tanh(SQRT_2_OVER_PI * (v + CUBIC * v * v * v)));
  }
  return out;
};

/**
 * d gelu/dx = ½(1 + t) + ½·x·(1 − t²)·√(2/π)·(1 + 3·0.044715·x²), t = tanh(u). Here 1 − t² and 1 + t
 * come from e = exp(−2|u|) (1 − t² = 4e/(1 + e)²) once |u| ≥ 3, so they stay accurate where t is within
 * rounding of ±1 and the large factor in x would magnify an absolute error in t.
 */
const geluGrad: KernelFunc = ({ inputs, backend }) => {
  const x = inputs.x as TensorInfo;
  const h = float32Heap(backend);
  const out = h.out([...x.shape]);
  const xs = h.view(x);
  const dys = h.view(inputs.dy as TensorInfo);
  const dxs = h.view(out);
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i] as number;
    const u = SQRT_2_OVER_PI * (v + CUBIC * v * v * v);
    let onePlusT: number;
    let sech2: number;
    if (u > -3 && u < 3) {
      // |t| < 0.996: 1 ± t is far from zero and the rational tanh is accurate enough for both.
      const t = tanh(u);
      onePlusT = 1 + t;
      sech2 = 1 - t * t;
    } else {
      const e = Math.exp(-2 * Math.abs(u));
      onePlusT = u < 0 ? (2 * e) / (1 + e) : 1 + (1 - e) / (1 + e);
      sech2 = (4 * e) / ((1 + e) * (1 + e));
    }
    const slope = 0.5 * onePlusT + 0.5 * v * sech2 * SQRT_2_OVER_PI * (1 + 3 * CUBIC * v * v);
    dxs[i] = (dys[i] as number) * slope;
  }
  return out;
};

/** y = (x − mean)·rstd·gain + bias per row of `[rows, C]`; also returns mean and rstd `[rows]` for the backward. */
const layerNorm: KernelFunc = ({ inputs, backend, attrs }) => {
  const x = inputs.x as TensorInfo;
  const { epsilon } = attrs as unknown as { epsilon: number };
  const c = x.shape.at(-1) as number;
  const rows = x.shape.length === 0 ? 0 : tf.util.sizeFromShape(x.shape) / c;
  const h = float32Heap(backend);
  const out = h.out([...x.shape]);
  const meanOut = h.out([rows]);
  const rstdOut = h.out([rows]);
  const [xs, g, b, ys, means, rstds] = [x, inputs.gain, inputs.bias, out, meanOut, rstdOut].map((t) =>
    h.view(t as TensorInfo),
  ) as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
  for (let r = 0; r < rows; r++) {
    const at = r * c;
    let sum = 0;
    for (let j = 0; j < c; j++) sum += xs[at + j] as number;
    const mean = sum / c;
    let squares = 0;
    for (let j = 0; j < c; j++) {
      const d = (xs[at + j] as number) - mean;
      squares += d * d;
    }
    const rstd = 1 / Math.sqrt(squares / c + epsilon);
    for (let j = 0; j < c; j++) {
      ys[at + j] = ((xs[at + j] as number) - mean) * rstd * (g[j] as number) + (b[j] as number);
    }
    means[r] = mean;
    rstds[r] = rstd;
  }
  return [out, meanOut, rstdOut];
};

/**
 * dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with ĝ = dy·gain, x̂ = (x − mean)·rstd; dgain = Σ dy·x̂,
 * dbias = Σ dy over rows.
 */
const layerNormGrad: KernelFunc = ({ inputs, backend }) => {
  const x = inputs.x as TensorInfo;
  const c = x.shape.at(-1) as number;
  const rows = tf.util.sizeFromShape(x.shape) / c;
  const h = float32Heap(backend);
  const dxOut = h.out([...x.shape]);
  const dgOut = h.out([c]);
  const dbOut = h.out([c]);
  const [xs, dys, g, means, rstds, dxs, dg, db] = [
    x,
    inputs.dy,
    inputs.gain,
    inputs.mean,
    inputs.rstd,
    dxOut,
    dgOut,
    dbOut,
  ].map((t) => h.view(t as TensorInfo)) as Float32Array[] as [
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
  ];
  const dgSum = new Float64Array(c);
  const dbSum = new Float64Array(c);
  for (let r = 0; r < rows; r++) {
    const at = r * c;
    const mean = means[r] as number;
    const rstd = rstds[r] as number;
    let sumG = 0;
    let sumGX = 0;
    for (let j = 0; j < c; j++) {
      const dy = dys[at + j] as number;
      const xhat = ((xs[at + j] as number) - mean) * rstd;
      const gh = dy * (g[j] as number);
      sumG += gh;
      sumGX += gh * xhat;
      dgSum[j] = (dgSum[j] as number) + dy * xhat;
      dbSum[j] = (dbSum[j] as number) + dy;
    }
    const meanG = sumG / c;
    const meanGX = sumGX / c;
    for (let j = 0; j < c; j++) {
      const xhat = ((xs[at + j] as number) - mean) * rstd;
      const gh = (dys[at + j] as number) * (g[j] as number);
      dxs[at + j] = rstd * (gh - meanG - xhat * meanGX);
    }
  }
  dg.set(dgSum);
  db.set(dbSum);
  return [dxOut, dgOut, dbOut];
};

/**
 * The kernel configs to register on the wasm backend: with `native`, the loops run compiled in the
 * native addon (functions/model/native), else in JS. The training step's other fused kernels come with
 * them (the linear layer with per-input gradients, kernels/linear.ts; AdamW and the gradient norm, kernels/adamw.ts; with `native`, the leading-axis `Sum`, row
 * `GatherV2` and last-axis `SplitV` of kernels/native-train-kernels.ts), so whoever registers these
 * registers those.
 */
export function fusedKernelConfigs(native?: NativeBlas): KernelConfig[] {
  const compiled = native ? compiledFusedKernels(native) : undefined;
  const pick = (js: KernelFunc, name: keyof CompiledFusedKernels) => compiled?.[name] ?? js;
  return [
    linearKernelConfig,
    ...adamwKernelConfigs(native),
    ...trainKernelConfigs(native),
    { kernelName: GELU, backendName: 'wasm', kernelFunc: pick(gelu, 'gelu') },
    { kernelName: GELU_GRAD, backendName: 'wasm', kernelFunc: pick(geluGrad, 'geluGrad') },
    { kernelName: LAYER_NORM, backendName: 'wasm', kernelFunc: pick(layerNorm, 'layerNorm') },
    {
      kernelName: LAYER_NORM_GRAD,
      backendName: 'wasm',
      kernelFunc: pick(layerNormGrad, 'layerNormGrad'),
    },
  ];
}

/** Whether the active backend has the fused kernels (wasm with Attune's kernels registered). */
export function hasFusedKernels(): boolean {
  return tf.getKernel(LAYER_NORM, tf.getBackend()) !== undefined;
}

function run(name: string, inputs: tf.NamedTensorMap, attrs: Record<string, unknown> = {}) {
  return tf.engine().runKernel(name, inputs, attrs as never);
}

/** GPT-2's GELU (tanh approximation) as one kernel each way. Needs {@link hasFusedKernels}. */
export const fusedGelu = tf.customGrad((x, save) => {
  (save as tf.GradSaveFunc)([x as tf.Tensor]);
  return {
    value: run(GELU, { x: x as tf.Tensor }) as tf.Tensor,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
      run(GELU_GRAD, { dy, x: saved[0] as tf.Tensor }) as tf.Tensor,
  };
}) as (x: tf.Tensor2D) => tf.Tensor2D;

/**
 * LayerNorm over the last axis of `x` with `gain` and `bias` `[C]`, as one kernel each way (gradients
 * for x, gain and bias). Needs {@link hasFusedKernels}.
 */
export function fusedLayerNorm(
  x: tf.Tensor2D,
  gain: tf.Tensor,
  bias: tf.Tensor,
  epsilon: number,
): tf.Tensor2D {
  const op = tf.customGrad((xs, g, b, save) => {
    const [y, mean, rstd] = run(
      LAYER_NORM,
      { x: xs as tf.Tensor, gain: g as tf.Tensor, bias: b as tf.Tensor },
      {
        epsilon,
      },
    ) as tf.Tensor[];
    (save as tf.GradSaveFunc)([xs as tf.Tensor, g as tf.Tensor, mean as tf.Tensor, rstd as tf.Tensor]);
    return {
      value: y as tf.Tensor,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sg, sMean, sRstd] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        return run(LAYER_NORM_GRAD, { dy, x: sx, gain: sg, mean: sMean, rstd: sRstd }) as tf.Tensor[];
      },
    };
  });
  return op(x, gain, bias) as tf.Tensor2D;
}

import * as tf from '@tensorflow/tfjs';
import { adamwStep, hasAdamWKernels, sumOfSquares } from '#model/kernels/adamw.ts';

/**
 * AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization") with global-norm gradient
 * clipping, written out rather than taken from `tf.train.adam` because:
 * - TF.js has no decoupled weight decay (Adam's L2 penalty is not the same thing);
 * - the trainer must checkpoint and resume the moments exactly (spot reclaims), which needs them
 *   readable and writable as plain arrays, and the step count must be ours;
 * - clipping must be global over every trained tensor, before the update.
 *
 * The update matches `torch.optim.AdamW` step for step, so the PyTorch reference trains the same way:
 * `p ← p·(1 − lr·wd)`, `m ← β1·m + (1−β1)·g`, `v ← β2·v + (1−β2)·g²`,
 * `p ← p − lr · (m / (1−β1ᵗ)) / (√(v / (1−β2ᵗ)) + ε)`.
 *
 * On the wasm backend the update of each tensor and the global norm are one kernel each
 * (kernels/adamw.ts, compiled when the native addon loads), giving the same bits as the tf ops here.
 */

export interface AdamWOptions {
  readonly beta1?: number;
  readonly beta2?: number;
  readonly epsilon?: number;
  /** Decoupled weight decay, applied only to the tensors `decays` selects. */
  readonly weightDecay?: number;
  /** Clip the global L2 norm of all gradients to this value; `Infinity` disables clipping. */
  readonly maxGradNorm?: number;
  /** Which tensors take weight decay; default {@link decaysByDefault}. */
  readonly decays?: (name: string, variable: tf.Variable) => boolean;
}

/**
 * Weight decay on the matrices of the blocks only (attention and MLP `*.weight` of rank 2). Not on
 * biases or LayerNorm gains (decaying them toward 0 only hurts, as in BERT/HF Trainer practice), nor
 * on the token/position embeddings (rare tokens would be shrunk toward 0 by decay for every step they are
 * absent), nor on a soft prompt (its whole job is to move far from where it started).
 */
export function decaysByDefault(name: string, variable: tf.Variable): boolean {
  return variable.rank === 2 && name.startsWith('h.') && name.endsWith('.weight');
}

/** What one optimiser step did, for logging and for detecting a diverging run. */
export interface StepReport {
  /** The global gradient norm before clipping. */
  readonly gradNorm: number;
  /** Whether the gradients were scaled down. */
  readonly clipped: boolean;
}

/** Optimiser state as plain arrays: the moments of every trained tensor and the step count. */
export interface AdamWState {
  readonly step: number;
  readonly moments: ReadonlyMap<string, { readonly m: Float32Array; readonly v: Float32Array }>;
}

interface Slot {
  readonly param: tf.Variable;
  readonly m: tf.Variable;
  readonly v: tf.Variable;
  readonly decays: boolean;
}

export class AdamW {
  private readonly slots = new Map<string, Slot>();
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private readonly weightDecay: number;
  private readonly maxGradNorm: number;
  private stepCount = 0;

  /** `params` is exactly what is trained; anything not in it is never touched (prompt tuning's guarantee). */
  constructor(params: ReadonlyMap<string, tf.Variable>, options: AdamWOptions = {}) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    this.maxGradNorm = options.maxGradNorm ?? 1;
    const decays = options.decays ?? decaysByDefault;
    if (params.size === 0) throw new RangeError('AdamW needs at least one tensor to train');
    for (const [name, param] of params) {
      this.slots.set(name, {
        param,
        m: tf.variable(tf.zerosLike(param), false),
        v: tf.variable(tf.zerosLike(param), false),
        decays: this.weightDecay > 0 && decays(name, param),
      });
    }
  }

  /** Steps taken so far (Adam's bias correction uses it). */
  get step(): number {
    return this.stepCount;
  }

  /** The names of the trained tensors, in the order they were given. */
  get names(): string[] {
    return [...this.slots.keys()];
  }

  /**
   * Clips, then applies one update at `learningRate`. Takes ownership of `grads` and disposes them.
   * A gradient must be given for every trained tensor; a missing one is a wiring bug, not a zero.
   */
  applyGradients(grads: tf.NamedTensorMap, learningRate: number): StepReport {
    try {
      for (const name of this.slots.keys()) {
        if (!grads[name]) throw new RangeError(`no gradient for trained tensor "${name}"`);
      }
      const gradNorm = this.globalNorm(grads);
      if (!Number.isFinite(gradNorm)) throw new RangeError(`gradient norm is ${gradNorm}: the loss diverged`);
      const clipped = gradNorm > this.maxGradNorm;
      const gradScale = clipped ? this.maxGradNorm / (gradNorm + 1e-6) : 1;
      this.stepCount += 1;
      const t = this.stepCount;
      const stepSize = learningRate / (1 - this.beta1 ** t);
      const vCorrection = 1 - this.beta2 ** t;
      for (const [name, slot] of this.slots) {
        this.update(slot, grads[name] as tf.Tensor, { gradScale, stepSize, vCorrection, learningRate });
      }
      return { gradNorm, clipped };
    } finally {
      for (const g of Object.values(grads)) g.dispose();
    }
  }

  private globalNorm(grads: tf.NamedTensorMap): number {
    if (hasAdamWKernels()) {
      return Math.sqrt(sumOfSquares([...this.slots.keys()].map((name) => grads[name] as tf.Tensor)));
    }
    const squared = tf.tidy(() =>
      tf.addN([...this.slots.keys()].map((name) => tf.sum(tf.square(grads[name] as tf.Tensor)))),
    );
    const value = Math.sqrt(squared.dataSync()[0] ?? Number.NaN);
    squared.dispose();
    return value;
  }

  private update(
    slot: Slot,
    grad: tf.Tensor,
    k: { gradScale: number; stepSize: number; vCorrection: number; learningRate: number },
  ): void {
    if (hasAdamWKernels()) {
      tf.tidy(() => {
        const decay = slot.decays ? 1 - k.learningRate * this.weightDecay : 1;
        const scalars = { ...k, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, decay };
        const [param, m, v] = adamwStep(slot.param, grad, slot.m, slot.v, scalars);
        slot.param.assign(param);
        slot.m.assign(m);
        slot.v.assign(v);
      });
      return;
    }
    tf.tidy(() => {
      const g = k.gradScale === 1 ? grad : tf.mul(grad, k.gradScale);
      const m = tf.add(tf.mul(slot.m, this.beta1), tf.mul(g, 1 - this.beta1));
      const v = tf.add(tf.mul(slot.v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
      const denom = tf.add(tf.sqrt(tf.div(v, k.vCorrection)), this.epsilon);
      const decayed = slot.decays ? tf.mul(slot.param, 1 - k.learningRate * this.weightDecay) : slot.param;
      slot.param.assign(tf.sub(decayed, tf.mul(tf.div(m, denom), k.stepSize)));
      slot.m.assign(m);
      slot.v.assign(v);
    });
  }

  /** The moments and step as plain arrays, for a checkpoint. */
  snapshot(): AdamWState {
    const moments = new Map<string, { m: Float32Array; v: Float32Array }>();
    for (const [name, slot] of this.slots) {
      moments.set(name, { m: slot.m.dataSync() as Float32Array, v: slot.v.dataSync() as Float32Array });
    }
    return { step: this.stepCount, moments };
  }

  /** Restores moments and step from {@link snapshot}; rejects a state for other tensors or shapes. */
  restore(state: AdamWState): void {
    for (const [name, slot] of this.slots) {
      const saved = state.moments.get(name);
      if (!saved) throw new RangeError(`optimizer state has no moments for "${name}"`);
      if (saved.m.length !== slot.param.size || saved.v.length !== slot.param.size) {
        throw new RangeError(
          `optimizer state for "${name}" has ${saved.m.length} values, expected ${slot.param.size}`,
        );
      }
    }
    if (state.moments.size !== this.slots.size) {
      throw new RangeError(`optimizer state has ${state.moments.size} tensors, expected ${this.slots.size}`);
    }
    for (const [name, slot] of this.slots) {
      const saved = state.moments.get(name) as { m: Float32Array; v: Float32Array };
      tf.tidy(() => {
        slot.m.assign(tf.tensor(saved.m, slot.param.shape, 'float32'));
        slot.v.assign(tf.tensor(saved.v, slot.param.shape, 'float32'));
      });
    }
    this.stepCount = state.step;
  }

  /** Frees the moments (the trained tensors belong to the caller). */
  dispose(): void {
    for (const slot of this.slots.values()) {
      slot.m.dispose();
      slot.v.dispose();
    }
    this.slots.clear();
  }
}

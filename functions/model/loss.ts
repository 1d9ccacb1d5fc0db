import * as tf from '@tensorflow/tfjs';
import {
  hasCrossEntropyKernels,
  softmaxCrossEntropyRows,
  softmaxCrossEntropyRowsGrad,
} from '#model/kernels/cross-entropy.ts';

/**
 * Masked next-token cross-entropy for a causal language model.
 *
 * Why a hand-written gradient: the textbook formulation (one-hot over the vocabulary times log-softmax)
 * materialises and differentiates a `[tokens, vocab]` one-hot in the forward pass, and the autodiff of
 * `gather` needs `UnsortedSegmentSum`, a kernel the wasm backend lacks. The forward pass here is
 * `logsumexp(logits) − logits[target]` (a log-softmax evaluated only where it is read, via a gather);
 * the backward pass is the closed form `(softmax(logits) − onehot(target)) · w`, which is exactly what
 * autodiff would produce, computed as `softmax · w` with `w` subtracted at the N target cells (a scatter),
 * so no `[tokens, vocab]` one-hot is ever built and the backward makes two passes over the logits.
 */

/** Per-position targets and weights for {@link maskedCrossEntropy}, both shaped `[B, T]`. */
export interface LossTargets {
  /** int32 ids of the next token at each position (the input shifted left by one). */
  readonly targets: tf.Tensor2D;
  /** 1 where the position counts towards the loss, 0 for padding and for tokens we do not train on. */
  readonly mask: tf.Tensor2D;
}

function flatten(logits: tf.Tensor3D, { targets, mask }: LossTargets) {
  const [b, t, v] = logits.shape;
  if (targets.shape[0] !== b || targets.shape[1] !== t || mask.shape[0] !== b || mask.shape[1] !== t) {
    throw new RangeError(
      `logits [${logits.shape}] do not match targets [${targets.shape}] and mask [${mask.shape}]`,
    );
  }
  return {
    logits2d: tf.reshape(logits, [b * t, v]) as tf.Tensor2D,
    ids: tf.reshape(targets, [b * t]) as tf.Tensor1D,
    weights: tf.reshape(tf.cast(mask, 'float32'), [b * t]) as tf.Tensor1D,
  };
}

/** logits[i, ids[i]] for a `[N, V]` matrix, gathered from the flat buffer (one read per row). */
function pickTargets(logits2d: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor1D {
  const [n, v] = logits2d.shape;
  const flatIndex = tf.add(tf.mul(tf.range(0, n, 1, 'int32'), tf.scalar(v, 'int32')), ids);
  return tf.gather(tf.reshape(logits2d, [n * v]), flatIndex) as tf.Tensor1D;
}

/** The same loss and gradient as one compiled kernel each way (kernels/cross-entropy.ts, native addon). */
function compiledLoss(x: tf.Tensor2D, ids: tf.Tensor1D, normalised: tf.Tensor1D, save: tf.GradSaveFunc) {
  const targetIds = tf.cast(ids, 'int32') as tf.Tensor1D;
  const [nll, probs] = softmaxCrossEntropyRows(x, targetIds);
  save([probs, targetIds, normalised]);
  return {
    value: tf.sum(tf.mul(nll, normalised)) as tf.Scalar,
    gradFunc: (dy: tf.Scalar, saved: tf.Tensor[]) => {
      const [savedProbs, savedIds, savedWeights] = saved as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D];
      return softmaxCrossEntropyRowsGrad(savedProbs, savedIds, tf.mul(savedWeights, dy) as tf.Tensor1D);
    },
  };
}

/**
 * Mean negative log-likelihood of `targets` over the positions where `mask` is 1.
 * Differentiable with respect to `logits` only; a mask of all zeros gives a loss of 0 (and no gradient)
 * rather than NaN, so a batch of fully-truncated examples cannot poison the weights.
 */
export function maskedCrossEntropy(logits: tf.Tensor3D, targets: LossTargets): tf.Scalar {
  return tf.tidy(() => {
    const { logits2d, ids, weights } = flatten(logits, targets);
    const normalised = tf.div(weights, tf.maximum(tf.sum(weights), tf.scalar(1)));
    const loss = tf.customGrad((x, save) => {
      const x2d = x as tf.Tensor2D;
      if (hasCrossEntropyKernels()) {
        return compiledLoss(x2d, ids, normalised as tf.Tensor1D, save as tf.GradSaveFunc);
      }
      const max = tf.max(x2d, 1, true);
      const exps = tf.exp(tf.sub(x2d, max));
      const sums = tf.sum(exps, 1, true);
      const nll = tf.sub(tf.add(tf.log(sums), max), tf.reshape(pickTargets(x2d, ids), [-1, 1]));
      // The backward pass needs softmax(x): keep it rather than x, so it costs one division, not an exp.
      // Closed-over tensors would be freed when this tidy ends, before the backward pass runs: save them.
      (save as tf.GradSaveFunc)([tf.div(exps, sums), ids, normalised]);
      return {
        value: tf.sum(tf.mul(tf.reshape(nll, [-1]), normalised)) as tf.Scalar,
        gradFunc: (dy: tf.Scalar, saved: tf.Tensor[]) => {
          const [probs, savedIds, savedWeights] = saved as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D];
          const scale = tf.mul(savedWeights, dy);
          const scaled = tf.mul(probs, tf.reshape(scale, [-1, 1])) as tf.Tensor2D;
          // Subtract the one-hot at the targets only: w·(p − 1) there, w·p everywhere else.
          const atTargets = tf.sub(pickTargets(scaled, savedIds), scale);
          const rows = tf.range(0, probs.shape[0], 1, 'int32');
          const where = tf.stack([rows, tf.cast(savedIds, 'int32')], 1);
          return tf.tensorScatterUpdate(scaled, where, atTargets);
        },
      };
    });
    return loss(logits2d);
  });
}

/** Counts rather than a ratio, so validation can sum them over batches of different sizes. */
export interface TokenAccuracy {
  /** Masked positions where the arg-max of the logits is the target. */
  readonly correct: number;
  /** Masked positions. */
  readonly total: number;
}

/** Greedy next-token accuracy over the masked positions (not differentiable; reads the result back). */
export function tokenAccuracy(logits: tf.Tensor3D, targets: LossTargets): TokenAccuracy {
  const [correct, total] = tf.tidy(() => {
    const { logits2d, ids, weights } = flatten(logits, targets);
    const hits = tf.cast(tf.equal(tf.argMax(logits2d, 1), ids), 'float32');
    return [tf.sum(tf.mul(hits, weights)), tf.sum(weights)];
  });
  const result = {
    correct: Math.round(correct.dataSync()[0] ?? 0),
    total: Math.round(total.dataSync()[0] ?? 0),
  };
  correct.dispose();
  total.dispose();
  return result;
}

import * as tf from '@tensorflow/tfjs';
import type { Gpt2Config } from '#core/gpt2-config.ts';
import { type Gpt2Weights, gpt2Forward } from '#model/gpt2.ts';
import { type LossTargets, maskedCrossEntropy, type TokenAccuracy, tokenAccuracy } from '#model/loss.ts';
import {
  disposeTrainBatch,
  makeTrainBatch,
  type TokenizedExample,
  type TrainBatch,
} from '#model/train-batch.ts';

/**
 * The model's side of a training step: logits at the positions that count in the loss (the soft prompt's
 * own positions predict nothing; padding and untrained tokens add nothing) and the masked loss; and the
 * no-gradient evaluation used for validation.
 */

export interface ModelUnderTraining {
  readonly config: Gpt2Config;
  readonly weights: Gpt2Weights;
  /** The soft prompt `[P, n_embd]` when prompt tuning; absent for full fine-tuning and pre-training. */
  readonly prompt?: tf.Variable<tf.Rank.R2>;
}

/** Logits at the positions that count in the loss, with their targets and weights, all as `[1, N, …]`. */
interface LossLogits {
  readonly logits: tf.Tensor3D;
  readonly targets: LossTargets;
}

/**
 * The flat positions (into `[B·(P + T)]`: the soft prompt's P positions come first in each example)
 * whose loss weight is not 0, with their targets and weights. Read on the host: the mask is small, and
 * knowing N lets the forward pass compute logits for those rows only. A batch with no such position
 * keeps one row at weight 0, so the loss is 0 with no gradient, as over the full logits.
 */
function lossRows(batch: TrainBatch, promptLength: number) {
  const [b, t] = batch.inputIds.shape;
  const mask = batch.lossMask.dataSync();
  const targets = batch.targets.dataSync();
  const rows: number[] = [];
  const ids: number[] = [];
  const weights: number[] = [];
  for (let i = 0; i < b * t; i++) {
    const w = mask[i] as number;
    if (w === 0) continue;
    rows.push(Math.floor(i / t) * (promptLength + t) + promptLength + (i % t));
    ids.push(targets[i] as number);
    weights.push(w);
  }
  if (rows.length === 0) {
    rows.push(promptLength);
    ids.push(0);
    weights.push(0);
  }
  return { rows, ids, weights };
}

function lossLogits(model: ModelUnderTraining, batch: TrainBatch): LossLogits {
  const prompt = model.prompt as tf.Tensor2D | undefined;
  const { rows, ids, weights } = lossRows(batch, prompt?.shape[0] ?? 0);
  return tf.tidy(() => {
    const { logits } = gpt2Forward(model.config, model.weights, batch.inputIds, {
      attentionMask: batch.attentionMask,
      logitRows: tf.tensor1d(rows, 'int32'),
      ...(prompt ? { prompt } : {}),
    });
    const n = rows.length;
    return {
      logits,
      targets: { targets: tf.tensor2d(ids, [1, n], 'int32'), mask: tf.tensor2d(weights, [1, n]) },
    };
  });
}

function disposeLossLogits({ logits, targets }: LossLogits): void {
  tf.dispose([logits, targets.targets, targets.mask]);
}

/**
 * Loss and gradients of the batch with respect to `trained` only (keyed by the names of that map).
 * Tensors outside `trained` get no gradient computed at all, which is what makes prompt tuning cheaper.
 */
export function lossAndGradients(
  model: ModelUnderTraining,
  batch: TrainBatch,
  trained: ReadonlyMap<string, tf.Variable>,
): { loss: number; grads: tf.NamedTensorMap } {
  const byVariable = new Map([...trained].map(([name, v]) => [v.name, name]));
  const { value, grads } = tf.variableGrads(() => {
    const { logits, targets } = lossLogits(model, batch);
    return maskedCrossEntropy(logits, targets);
  }, [...trained.values()]);
  const named: tf.NamedTensorMap = {};
  for (const [variableName, grad] of Object.entries(grads)) {
    named[byVariable.get(variableName) ?? variableName] = grad;
  }
  const loss = value.dataSync()[0] ?? Number.NaN;
  value.dispose();
  return { loss, grads: named };
}

export interface Evaluation {
  /** Mean masked loss over every masked position of every example. */
  readonly loss: number;
  readonly accuracy: TokenAccuracy;
}

/** Loss and token accuracy of `examples`, in batches of `batchSize`, without gradients. */
export function evaluate(
  model: ModelUnderTraining,
  examples: readonly TokenizedExample[],
  batchSize: number,
  lossOnEveryToken: boolean,
): Evaluation | null {
  let weightedLoss = 0;
  let correct = 0;
  let total = 0;
  for (let start = 0; start < examples.length; start += batchSize) {
    const batch = makeTrainBatch(examples.slice(start, start + batchSize), lossOnEveryToken);
    try {
      const rows = lossLogits(model, batch);
      const loss = tf.tidy(() => maskedCrossEntropy(rows.logits, rows.targets));
      const accuracy = tokenAccuracy(rows.logits, rows.targets);
      weightedLoss += (loss.dataSync()[0] ?? 0) * accuracy.total;
      correct += accuracy.correct;
      total += accuracy.total;
      loss.dispose();
      disposeLossLogits(rows);
    } finally {
      disposeTrainBatch(batch);
    }
  }
  if (total === 0) return null;
  return { loss: weightedLoss / total, accuracy: { correct, total } };
}

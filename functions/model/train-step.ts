import * as tf from '@tensorflow/tfjs';
import type { Gpt2Config } from '#model/config.ts';
import { type Gpt2Weights, gpt2Forward } from '#model/gpt2.ts';
import { maskedCrossEntropy, type TokenAccuracy, tokenAccuracy } from '#model/loss.ts';
import {
  disposeTrainBatch,
  makeTrainBatch,
  type TokenizedExample,
  type TrainBatch,
} from '#model/train-batch.ts';

/**
 * The model's side of a training step: logits for the text positions of a batch (the soft prompt's own
 * positions predict nothing) and the masked loss; and the no-gradient evaluation used for validation.
 */

export interface ModelUnderTraining {
  readonly config: Gpt2Config;
  readonly weights: Gpt2Weights;
  /** The soft prompt `[P, n_embd]` when prompt tuning; absent for full fine-tuning and pre-training. */
  readonly prompt?: tf.Variable<tf.Rank.R2>;
}

/** Logits `[B, T, V]` for the batch's text positions. */
function textLogits(model: ModelUnderTraining, batch: TrainBatch): tf.Tensor3D {
  const prompt = model.prompt as tf.Tensor2D | undefined;
  const { logits } = gpt2Forward(model.config, model.weights, batch.inputIds, {
    attentionMask: batch.attentionMask,
    ...(prompt ? { prompt } : {}),
  });
  if (!prompt) return logits;
  const [b, t] = batch.inputIds.shape;
  return tf.slice(logits, [0, prompt.shape[0], 0], [b, t, model.config.vocab_size]);
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
  const { value, grads } = tf.variableGrads(
    () => maskedCrossEntropy(textLogits(model, batch), { targets: batch.targets, mask: batch.lossMask }),
    [...trained.values()],
  );
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
      const logits = tf.tidy(() => textLogits(model, batch));
      const targets = { targets: batch.targets, mask: batch.lossMask };
      const loss = tf.tidy(() => maskedCrossEntropy(logits, targets));
      const accuracy = tokenAccuracy(logits, targets);
      weightedLoss += (loss.dataSync()[0] ?? 0) * accuracy.total;
      correct += accuracy.correct;
      total += accuracy.total;
      tf.dispose([logits, loss]);
    } finally {
      disposeTrainBatch(batch);
    }
  }
  if (total === 0) return null;
  return { loss: weightedLoss / total, accuracy: { correct, total } };
}

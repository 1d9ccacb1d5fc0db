import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '#model/backend.ts';
import { disposeGpt2Weights, type Gpt2Weights, gpt2Forward, initGpt2Weights } from '#model/gpt2.ts';
import { maskedCrossEntropy } from '#model/loss.ts';
import { disposeTrainBatch, makeTrainBatch, type TokenizedExample } from '#model/train-batch.ts';
import { evaluate, lossAndGradients } from '#model/train-step.ts';
import { maxAbsDiff, TINY_CONFIG } from '../model/helpers.ts';

/**
 * The training step computes logits only where the loss counts; loss, gradients and evaluation must be
 * those of the full logits with the mask applied.
 */

let weights: Gpt2Weights;
let prompt: tf.Variable<tf.Rank.R2>;

const examples: TokenizedExample[] = [
  { inputIds: [5, 8, 13, 2, 9, 11], lossMask: [0, 0, 0, 1, 1, 1] },
  { inputIds: [7, 3, 4], lossMask: [0, 1, 1] },
];

beforeAll(async () => {
  await initBackend({ log: () => {} });
  weights = initGpt2Weights(TINY_CONFIG, 5);
  prompt = tf.variable(tf.randomNormal([2, TINY_CONFIG.n_embd], 0, 0.1, 'float32', 6) as tf.Tensor2D);
});

afterAll(() => {
  disposeGpt2Weights(weights);
  prompt.dispose();
});

/** The loss over the full `[B, P + T, V]` logits, the text positions sliced out, the batch mask applied. */
function fullLogitsLoss(withPrompt: boolean, batch: ReturnType<typeof makeTrainBatch>) {
  const [b, t] = batch.inputIds.shape;
  const { logits } = gpt2Forward(TINY_CONFIG, weights, batch.inputIds, {
    attentionMask: batch.attentionMask,
    ...(withPrompt ? { prompt } : {}),
  });
  const p = withPrompt ? prompt.shape[0] : 0;
  const text = tf.slice(logits, [0, p, 0], [b, t, TINY_CONFIG.vocab_size]);
  return maskedCrossEntropy(text, { targets: batch.targets, mask: batch.lossMask });
}

describe('lossAndGradients on the loss positions only', () => {
  for (const withPrompt of [false, true]) {
    it(`given a padded batch with a partial loss mask${withPrompt ? ' behind a soft prompt' : ''}, then loss and gradients equal the full-logits ones`, () => {
      const batch = makeTrainBatch(examples, false);
      const trained = withPrompt ? new Map([['prompt', prompt]]) : new Map(weights);
      const ours = lossAndGradients(
        { config: TINY_CONFIG, weights, ...(withPrompt ? { prompt } : {}) },
        batch,
        trained,
      );
      const full = tf.variableGrads(() => fullLogitsLoss(withPrompt, batch), [...trained.values()]);
      expect(ours.loss).toBeCloseTo(full.value.dataSync()[0] as number, 5);
      const byVariable = new Map([...trained].map(([name, v]) => [v.name, name]));
      for (const [variableName, grad] of Object.entries(full.grads)) {
        const name = byVariable.get(variableName) as string;
        expect(maxAbsDiff(ours.grads[name] as tf.Tensor, grad)).toBeLessThan(1e-5);
      }
      disposeTrainBatch(batch);
    });
  }

  it('given a batch whose loss mask is all zeros, then the loss is 0 and every gradient is 0', () => {
    const batch = makeTrainBatch([{ inputIds: [1, 2, 3], lossMask: [0, 0, 0] }], false);
    const { loss, grads } = lossAndGradients(
      { config: TINY_CONFIG, weights, prompt },
      batch,
      new Map([['prompt', prompt]]),
    );
    expect(loss).toBe(0);
    expect(tf.max(tf.abs(grads.prompt as tf.Tensor)).dataSync()[0]).toBe(0);
    disposeTrainBatch(batch);
  });
});

describe('evaluate on the loss positions only', () => {
  it('given examples behind a soft prompt, then loss and token count equal the full-logits ones', () => {
    const result = evaluate({ config: TINY_CONFIG, weights, prompt }, examples, 2, false);
    const batch = makeTrainBatch(examples, false);
    const expected = fullLogitsLoss(true, batch).dataSync()[0] as number;
    expect(result?.loss).toBeCloseTo(expected, 5);
    expect(result?.accuracy.total).toBe(5);
    disposeTrainBatch(batch);
  });
});

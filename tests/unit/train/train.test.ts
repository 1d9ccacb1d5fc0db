import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initGpt2Weights } from '#model/gpt2.ts';
import { type TrainModelOptions, trainModel } from '#model/train.ts';
import { useTrainingBackend } from './backend.ts';
import { constantTask, mappingTask, mean, TINY, trainedScaleWeights, weightBytes } from './toy.ts';

beforeAll(useTrainingBackend);

const quiet = { log: () => {} };

async function losses(
  options: TrainModelOptions,
): Promise<{ losses: number[]; result: Awaited<ReturnType<typeof trainModel>> }> {
  const seen: number[] = [];
  const result = await trainModel({
    ...options,
    onStep: (m) => {
      seen.push(m.trainLoss);
    },
  });
  return { losses: seen, result };
}

describe('trainModel: prompt tuning', () => {
  it('given a frozen base, when the prompt is tuned, then every base weight is bit-identical afterwards', async () => {
    const weights = trainedScaleWeights(1);
    const before = weightBytes(weights);
    const initialPrompt = tf.randomNormal([4, TINY.n_embd], 0, 0.5, 'float32', 5) as tf.Tensor2D;
    const initialValues = Array.from(initialPrompt.dataSync());
    const { result } = await losses({
      ...quiet,
      config: TINY,
      weights,
      method: 'prompt_tuning',
      train: constantTask(),
      validation: constantTask(),
      hyperparameters: { n_epochs: 3, batch_size: 5, num_virtual_tokens: 4, prompt_tuning_init: 'RANDOM' },
      seed: 1,
      initialPrompt,
    });
    const after = weightBytes(weights);
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const [name, bytes] of before) expect(after.get(name)?.equals(bytes), name).toBe(true);
    const tuned = Array.from(result.prompt?.dataSync() ?? []);
    expect(tuned).toHaveLength(initialValues.length);
    expect(tuned).not.toEqual(initialValues);
    expect(Array.from(initialPrompt.dataSync())).toEqual(initialValues);
  });

  it('given a learnable fixed answer, when prompt-tuned at the auto rate, then the loss falls clearly', async () => {
    const { losses: seen, result } = await losses({
      ...quiet,
      config: TINY,
      weights: trainedScaleWeights(1),
      method: 'prompt_tuning',
      train: constantTask(),
      validation: constantTask(),
      hyperparameters: {
        n_epochs: 12,
        batch_size: 5,
        num_virtual_tokens: 4,
        prompt_tuning_init: 'SAMPLE_VOCAB',
      },
      seed: 1,
    });
    expect(seen).toHaveLength(24);
    expect(mean(seen.slice(-4))).toBeLessThan(mean(seen.slice(0, 4)) - 0.5);
    expect(result.metrics.validLoss).toBeLessThan(seen[0] ?? 0);
    expect(result.prompt?.shape).toEqual([4, TINY.n_embd]);
  });
});

describe('trainModel: full fine-tuning', () => {
  it('given a mapping task, when fine-tuned, then the loss falls and validation accuracy is reported', async () => {
    const { losses: seen, result } = await losses({
      ...quiet,
      config: TINY,
      weights: initGpt2Weights(TINY, 1),
      method: 'supervised',
      train: mappingTask(),
      validation: mappingTask(),
      hyperparameters: { n_epochs: 12, batch_size: 5, learning_rate_multiplier: 10 },
      seed: 1,
    });
    expect(mean(seen.slice(-4))).toBeLessThan(mean(seen.slice(0, 4)) - 0.4);
    expect(result.metrics).toMatchObject({ steps: 24, trainedTokens: 24 * 5 * 2, truncatedExamples: 0 });
    expect(result.metrics.validTokenAccuracy).toBeGreaterThan(0.5);
    expect(result.prompt).toBeUndefined();
  });

  it('given full fine-tuning, when trained, then the weights change', async () => {
    const weights = initGpt2Weights(TINY, 2);
    const before = weightBytes(weights);
    await trainModel({
      ...quiet,
      config: TINY,
      weights,
      method: 'supervised',
      train: mappingTask(),
      hyperparameters: { n_epochs: 1, batch_size: 5 },
      seed: 1,
    });
    const changed = [...weightBytes(weights)].filter(([name, bytes]) => !before.get(name)?.equals(bytes));
    expect(changed.length).toBe(before.size);
  });
});

describe('trainModel: continued pre-training', () => {
  it('given raw-text windows with empty loss masks, when pre-trained, then every token is trained on', async () => {
    const text = Array.from({ length: 12 }, (_, i) => ({
      inputIds: Array.from({ length: 8 }, (_, j) => ((i + j) % 6) + 1),
      lossMask: Array.from({ length: 8 }, () => 0),
    }));
    const { losses: seen } = await losses({
      ...quiet,
      config: TINY,
      weights: initGpt2Weights(TINY, 3),
      method: 'pretrain',
      train: text,
      validation: text.slice(0, 2),
      hyperparameters: { n_epochs: 8, batch_size: 4, learning_rate_multiplier: 5 },
      seed: 1,
    });
    expect(seen.every((l) => l > 0)).toBe(true);
    expect(mean(seen.slice(-3))).toBeLessThan(mean(seen.slice(0, 3)) - 0.3);
  });
});

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '#core/errors.ts';
import { ModelInputError } from '#model/errors.ts';
import { initGpt2Weights } from '#model/gpt2.ts';
import { type TrainModelOptions, trainModel } from '#model/train.ts';
import { useTrainingBackend } from './backend.ts';
import { mappingTask, TINY } from './toy.ts';

beforeAll(useTrainingBackend);

const base = (): TrainModelOptions => ({
  config: TINY,
  weights: initGpt2Weights(TINY, 1),
  method: 'supervised',
  train: mappingTask(),
  hyperparameters: { n_epochs: 1, batch_size: 5 },
  seed: 1,
  log: () => {},
});

/**
 * The error a bad job is rejected with: core's ValidationError for hyperparameters (parsed by the shared
 * schema), the model layer's ModelInputError for what trainModel itself checks.
 */
async function rejection(
  options: TrainModelOptions,
  kind: typeof ValidationError | typeof ModelInputError = ModelInputError,
): Promise<ValidationError | ModelInputError> {
  const error = await trainModel(options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(kind);
  return error as ValidationError | ModelInputError;
}

describe('trainModel rejects bad jobs before training', () => {
  it('given n_epochs 0, when started, then the error names hyperparameters.n_epochs', async () => {
    const error = await rejection({ ...base(), hyperparameters: { n_epochs: 0 } }, ValidationError);
    expect(error.param).toBe('hyperparameters.n_epochs');
  });

  it('given a batch size of "large", when started, then the error names hyperparameters.batch_size', async () => {
    expect(
      (await rejection({ ...base(), hyperparameters: { batch_size: 'large' } }, ValidationError)).param,
    ).toBe('hyperparameters.batch_size');
  });

  it('given more virtual tokens than the context holds, when started, then it names num_virtual_tokens', async () => {
    const options = {
      ...base(),
      method: 'prompt_tuning' as const,
      hyperparameters: { num_virtual_tokens: 40 },
    };
    expect((await rejection(options)).param).toBe('hyperparameters.num_virtual_tokens');
  });

  it('given an initial prompt of the wrong shape, when started, then it is rejected', async () => {
    const initialPrompt = tf.zeros([2, TINY.n_embd]) as tf.Tensor2D;
    const options = {
      ...base(),
      method: 'prompt_tuning' as const,
      hyperparameters: { num_virtual_tokens: 3 },
    };
    expect((await rejection({ ...options, initialPrompt })).message).toMatch(/initial prompt \[2,32\]/);
  });

  it('given a token id outside the vocabulary, when started, then it is rejected', async () => {
    const train = [...mappingTask(), { inputIds: [1, 99], lossMask: [0, 1] }];
    expect((await rejection({ ...base(), train })).message).toMatch(/token id 99/);
  });

  it('given no training examples, when started, then it names training_file', async () => {
    expect((await rejection({ ...base(), train: [], validation: [] })).param).toBe('training_file');
  });

  it('given a negative seed, when started, then it is rejected', async () => {
    expect((await rejection({ ...base(), seed: -1 })).message).toMatch(/seed/);
  });
});

describe('trainModel data handling', () => {
  it('given examples longer than the context, when trained, then they are cut and counted', async () => {
    const long = {
      inputIds: Array.from({ length: 40 }, (_, i) => (i % 20) + 1),
      lossMask: Array(40).fill(1),
    };
    const result = await trainModel({ ...base(), train: [...mappingTask(), long], validation: [] });
    expect(result.metrics.truncatedExamples).toBe(1);
  });

  it('given no validation set and 20 examples, when trained, then 2 are held out and validated', async () => {
    const train = [...mappingTask(), ...mappingTask()];
    const result = await trainModel({ ...base(), train, hyperparameters: { n_epochs: 1, batch_size: 6 } });
    expect(result.metrics.steps).toBe(3);
    expect(result.metrics.validLoss).toEqual(expect.any(Number));
  });

  it('given an empty validation set, when trained, then validation metrics are null', async () => {
    const result = await trainModel({ ...base(), validation: [] });
    expect(result.metrics.validLoss).toBeNull();
    expect(result.metrics.validTokenAccuracy).toBeNull();
  });

  it('given a signal aborted before the start, when trained, then it checkpoints step 0 and stops', async () => {
    const controller = new AbortController();
    controller.abort();
    const steps: number[] = [];
    const result = await trainModel({
      ...base(),
      signal: controller.signal,
      onCheckpoint: (s) => void steps.push(s.step),
    });
    expect(result.status).toBe('aborted');
    expect(steps).toEqual([0]);
  });

  it('given the hyperparameters, when training starts, then they are logged once as resolved JSON', async () => {
    const lines: string[] = [];
    await trainModel({ ...base(), log: (line) => lines.push(line) });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
      event: 'hyperparameters',
      method: 'supervised',
      n_epochs: 1,
      batch_size: 5,
      learning_rate: 1e-4,
    });
  });
});

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FormatError } from '#core/errors.ts';
import { AdamW } from '#model/optimizer.ts';
import { readSafetensors, readSafetensorsMetadata, writeSafetensors } from '#model/safetensors.ts';
import {
  restoreTrainingState,
  snapshotTrainingState,
  type TrainingRun,
  trainingStateFromSafetensors,
  trainingStateToSafetensors,
} from '#model/train-state.ts';
import { useTrainingBackend } from './backend.ts';

beforeAll(useTrainingBackend);

function makeRun(values: number[], step = 3): TrainingRun {
  const params = new Map([['prompt_embeddings', tf.variable(tf.tensor2d(values, [2, values.length / 2]))]]);
  const optimizer = new AdamW(params);
  optimizer.applyGradients(
    { prompt_embeddings: tf.onesLike(params.get('prompt_embeddings') as tf.Variable) },
    0.1,
  );
  return { method: 'prompt_tuning', seed: 4, step, totalSteps: 10, trainedTokens: 99, params, optimizer };
}

describe('training state', () => {
  it('given a snapshot written as safetensors, when read back, then it is the same state', () => {
    const state = snapshotTrainingState(makeRun([1, 2, 3, 4]));
    const { tensors, metadata } = trainingStateToSafetensors(state);
    const bytes = writeSafetensors(tensors, metadata);
    const back = trainingStateFromSafetensors(readSafetensors(bytes), readSafetensorsMetadata(bytes));
    expect(back).toEqual(state);
  });

  it('given a snapshot restored into a fresh run, when read, then tensors and moments are the saved ones', () => {
    const state = snapshotTrainingState(makeRun([1, 2, 3, 4]));
    const fresh = makeRun([0, 0, 0, 0]);
    restoreTrainingState(state, fresh);
    expect(snapshotTrainingState(fresh)).toEqual(state);
  });

  it('given a snapshot of another method, when restored, then it is refused with a FormatError', () => {
    const state = { ...snapshotTrainingState(makeRun([1, 2, 3, 4])), method: 'supervised' as const };
    expect(() => restoreTrainingState(state, makeRun([1, 2, 3, 4]))).toThrow(/method supervised/);
  });

  it('given a snapshot of other shapes, when restored, then it is refused naming the tensor', () => {
    const state = snapshotTrainingState(makeRun([1, 2, 3, 4, 5, 6]));
    expect(() => restoreTrainingState(state, makeRun([1, 2, 3, 4]))).toThrow(/"prompt_embeddings" of shape/);
  });

  it('given safetensors without the state metadata, when read, then a FormatError says so', () => {
    expect(() => trainingStateFromSafetensors(new Map(), {})).toThrow(FormatError);
  });

  it('given metadata with a negative step, when read, then a FormatError names the field', () => {
    const { tensors, metadata } = trainingStateToSafetensors(snapshotTrainingState(makeRun([1, 2, 3, 4])));
    const header = JSON.parse(metadata.attune_training_state ?? '{}');
    const bad = { attune_training_state: JSON.stringify({ ...header, step: -1 }) };
    expect(() => trainingStateFromSafetensors(tensors, bad)).toThrow(/"step"/);
  });

  it('given a parameter without its moments, when read, then a FormatError names the missing tensor', () => {
    const { tensors, metadata } = trainingStateToSafetensors(snapshotTrainingState(makeRun([1, 2, 3, 4])));
    tensors.delete('adam_v/prompt_embeddings');
    expect(() => trainingStateFromSafetensors(tensors, metadata)).toThrow(/adam_v\/prompt_embeddings/);
  });
});

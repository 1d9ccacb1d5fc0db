import { beforeAll, describe, expect, it } from 'vitest';
import type { TrainingMethod } from '#core/hyperparameters.ts';
import { initGpt2Weights } from '#model/gpt2.ts';
import { readSafetensors, readSafetensorsMetadata, writeSafetensors } from '#model/safetensors.ts';
import { type TrainModelOptions, trainModel } from '#model/train.ts';
import {
  type TrainingState,
  trainingStateFromSafetensors,
  trainingStateToSafetensors,
} from '#model/train-state.ts';
import { useTrainingBackend } from './backend.ts';
import { constantTask, mappingTask, TINY, trainedScaleWeights } from './toy.ts';

beforeAll(useTrainingBackend);

function job(method: TrainingMethod): TrainModelOptions {
  const prompt = method === 'prompt_tuning';
  return {
    config: TINY,
    weights: prompt ? trainedScaleWeights(4) : initGpt2Weights(TINY, 4),
    method,
    train: prompt ? constantTask() : mappingTask(),
    validation: [],
    hyperparameters: prompt
      ? { n_epochs: 4, batch_size: 3, num_virtual_tokens: 3 }
      : { n_epochs: 4, batch_size: 3, learning_rate_multiplier: 5 },
    seed: 9,
    log: () => {},
  };
}

/** Through the bytes the trainer would upload: what comes back must be enough to continue. */
function viaSafetensors(state: TrainingState): TrainingState {
  const { tensors, metadata } = trainingStateToSafetensors(state);
  const bytes = writeSafetensors(tensors, metadata);
  return trainingStateFromSafetensors(readSafetensors(bytes), readSafetensorsMetadata(bytes));
}

describe.each(['supervised', 'prompt_tuning'] as const)('trainModel resume (%s)', (method) => {
  it('given a run stopped by abort and resumed from its checkpoint, then the remaining losses are identical', async () => {
    const uninterrupted: number[] = [];
    await trainModel({ ...job(method), onStep: (m) => void uninterrupted.push(m.trainLoss) });
    expect(uninterrupted).toHaveLength(16);

    const controller = new AbortController();
    let saved: TrainingState | undefined;
    const first = await trainModel({
      ...job(method),
      signal: controller.signal,
      onStep: (m) => {
        if (m.step === 6) controller.abort();
      },
      onCheckpoint: (state) => {
        saved = viaSafetensors(state);
      },
    });
    expect(first.status).toBe('aborted');
    expect(first.metrics.steps).toBe(6);
    expect(saved?.step).toBe(6);

    const resumed: number[] = [];
    const second = await trainModel({
      ...job(method),
      resumeFrom: saved,
      onStep: (m) => void resumed.push(m.trainLoss),
    });
    expect(second.status).toBe('completed');
    expect(second.metrics.steps).toBe(16);
    expect(resumed).toEqual(uninterrupted.slice(6));
  });
});

describe('trainModel checkpoints', () => {
  it('given checkpointEvery 5 over 16 steps, when trained, then states at steps 5, 10 and 15 are handed over', async () => {
    const steps: number[] = [];
    await trainModel({
      ...job('supervised'),
      checkpointEvery: 5,
      onCheckpoint: (s) => void steps.push(s.step),
    });
    expect(steps).toEqual([5, 10, 15]);
  });

  it('given a checkpoint of another seed, when resumed, then it is refused before training', async () => {
    let saved: TrainingState | undefined;
    await trainModel({
      ...job('supervised'),
      checkpointEvery: 5,
      onCheckpoint: (s) => {
        saved ??= s;
      },
    });
    await expect(trainModel({ ...job('supervised'), seed: 10, resumeFrom: saved })).rejects.toThrow(/seed 9/);
  });
});

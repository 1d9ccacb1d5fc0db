import { beforeAll, describe, expect, it } from 'vitest';
import {
  disposeTrainBatch,
  epochOrder,
  fitToContext,
  holdOutValidation,
  makeTrainBatch,
} from '#model/train-batch.ts';
import { useTrainingBackend } from './backend.ts';

beforeAll(useTrainingBackend);

const prompt = { inputIds: [5, 6, 7, 8], lossMask: [0, 0, 1, 1] };
const short = { inputIds: [9, 10], lossMask: [0, 1] };

describe('makeTrainBatch', () => {
  it('given two examples, when batched, then inputs and targets are shifted by one and padded', () => {
    const batch = makeTrainBatch([prompt, short], false);
    expect(batch.inputIds.arraySync()).toEqual([
      [5, 6, 7],
      [9, 0, 0],
    ]);
    expect(batch.targets.arraySync()).toEqual([
      [6, 7, 8],
      [10, 0, 0],
    ]);
    expect(batch.attentionMask.arraySync()).toEqual([
      [1, 1, 1],
      [1, 0, 0],
    ]);
    expect(batch.tokens).toBe(4);
    disposeTrainBatch(batch);
  });

  it('given loss masks, when batched, then the loss mask follows the predicted token', () => {
    const batch = makeTrainBatch([prompt, short], false);
    expect(batch.lossMask.arraySync()).toEqual([
      [0, 1, 1],
      [1, 0, 0],
    ]);
    disposeTrainBatch(batch);
  });

  it('given continued pre-training, when batched, then every real position is trained on', () => {
    const batch = makeTrainBatch([prompt, short], true);
    expect(batch.lossMask.arraySync()).toEqual([
      [1, 1, 1],
      [1, 0, 0],
    ]);
    disposeTrainBatch(batch);
  });

  it('given no examples, when batched, then it throws', () => {
    expect(() => makeTrainBatch([], false)).toThrow(/at least one example/);
  });
});

describe('fitToContext', () => {
  it('given one example longer than the room, when fitted, then its head is kept and it is counted', () => {
    const { examples, truncated } = fitToContext([prompt, short], 3);
    expect(examples).toEqual([{ inputIds: [5, 6, 7], lossMask: [0, 0, 1] }, short]);
    expect(truncated).toBe(1);
  });

  it('given ids and mask of different lengths, when fitted, then it throws', () => {
    expect(() => fitToContext([{ inputIds: [1, 2], lossMask: [1] }], 8)).toThrow(/2 ids but 1 mask/);
  });
});

describe('epochOrder', () => {
  it('given the same seed and epoch, when drawn twice, then the order is the same permutation', () => {
    const order = epochOrder(50, 7, 3);
    expect(epochOrder(50, 7, 3)).toEqual(order);
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('given another epoch or seed, when drawn, then the order differs', () => {
    expect(epochOrder(50, 7, 4)).not.toEqual(epochOrder(50, 7, 3));
    expect(epochOrder(50, 8, 3)).not.toEqual(epochOrder(50, 7, 3));
  });
});

describe('holdOutValidation', () => {
  const items = Array.from({ length: 40 }, (_, i) => i);

  it('given 40 examples and 10%, when split, then 4 are held out and none is lost', () => {
    const { train, validation } = holdOutValidation(items, 0.1, 1);
    expect(validation).toHaveLength(4);
    expect([...train, ...validation].sort((a, b) => a - b)).toEqual(items);
  });

  it('given fewer than 10 examples, when split, then nothing is held out', () => {
    expect(holdOutValidation(items.slice(0, 9), 0.5, 1).validation).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import {
  artifactBytes,
  type DataProfile,
  peakSequenceLength,
  type RunShape,
  trainableParameters,
  trainingFlops,
  trainingTokens,
} from '#core/estimate/formulas.ts';
import { findCatalogModel, type ModelShape } from '#core/estimate/model-catalog.ts';

const gpt2 = findCatalogModel('gpt2') as ModelShape;
const N = 124_439_808;
const data: DataProfile = { examples: 500, meanTokens: 200, longTokens: 400, validationTokens: 0 };
const fineTune: RunShape = { method: 'supervised', epochs: 3, batchSize: 4, virtualTokens: 0 };
const promptTune: RunShape = { method: 'prompt_tuning', epochs: 3, batchSize: 4, virtualTokens: 20 };

describe('trainable parameters', () => {
  it('given full fine-tuning of GPT-2 124M, then every weight is trainable', () => {
    expect(trainableParameters(gpt2, N, fineTune).value).toBe(N);
  });

  it('given prompt tuning with 20 virtual tokens, then only 20 × 768 prompt values are trainable', () => {
    const q = trainableParameters(gpt2, N, promptTune);
    expect(q.value).toBe(15_360);
    expect(q.formula).toContain('num_virtual_tokens × n_embd');
  });
});

describe('training tokens', () => {
  it('given 500 examples of 200 tokens for 3 epochs, then 300,000 tokens are trained on', () => {
    expect(trainingTokens(gpt2, data, fineTune).value).toBe(300_000);
  });

  it('given examples longer than the context, then each is counted cut to the context', () => {
    const long = { ...data, meanTokens: 5000 };
    expect(trainingTokens(gpt2, long, fineTune).value).toBe(500 * 3 * 1024);
  });

  it('given prompt tuning, then the context left for data excludes the virtual tokens', () => {
    const long = { ...data, meanTokens: 5000 };
    expect(trainingTokens(gpt2, long, promptTune).value).toBe(500 * 3 * 1004);
  });

  it('given long examples, then a step holds them cut to the context, plus the virtual tokens', () => {
    expect(peakSequenceLength(gpt2, { ...data, longTokens: 4000 }, promptTune)).toBe(1024);
    expect(peakSequenceLength(gpt2, data, promptTune)).toBe(420);
  });
});

describe('training FLOPs', () => {
  it('given GPT-2 124M fine-tuned on T tokens, then FLOPs are 6·N·T plus the attention term 6·n_layer·n_ctx·d·T', () => {
    const T = 300_000;
    const flops = trainingFlops(gpt2, N, data, fineTune, T);
    expect(flops.value).toBe(6 * N * T + 6 * 12 * 200 * 768 * T);
    expect(flops.formula).toMatch(/^6·N·T \+ 6·n_layer·n_ctx·n_embd·T/);
  });

  it('given prompt tuning, then FLOPs are 4·N·P over every processed position, virtual tokens included', () => {
    const T = 300_000;
    const P = T + 500 * 3 * 20;
    const flops = trainingFlops(gpt2, N, data, promptTune, T);
    expect(flops.value).toBe(4 * N * P + 4 * 12 * 220 * 768 * P);
  });

  it('given a validation set, then one forward pass over it per epoch is added', () => {
    const T = 300_000;
    const withValidation = trainingFlops(gpt2, N, { ...data, validationTokens: 10_000 }, fineTune, T);
    const without = trainingFlops(gpt2, N, data, fineTune, T);
    expect(withValidation.value - without.value).toBe(2 * N * 10_000 * 3);
  });
});

describe('artifact size', () => {
  it('given a fine-tune, then the artifact is every weight in fp32 plus config.json', () => {
    expect(artifactBytes(gpt2, N, fineTune).value).toBe(4 * N + 1024);
  });

  it('given a prompt-tune, then the artifact is the soft prompt in fp32 plus adapter_config.json', () => {
    expect(artifactBytes(gpt2, N, promptTune).value).toBe(4 * 20 * 768 + 1024);
  });
});

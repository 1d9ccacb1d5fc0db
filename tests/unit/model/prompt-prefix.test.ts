import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '#model/backend.ts';
import { ModelInputError } from '#model/errors.ts';
import { generate } from '#model/generate.ts';
import { disposeGpt2Weights, type Gpt2Weights, initGpt2Weights } from '#model/gpt2.ts';
import { computePromptPrefix, disposePromptPrefix, type PromptPrefix } from '#model/prompt-prefix.ts';
import { TINY_CONFIG } from './helpers.ts';

let weights: Gpt2Weights;
let softPrompt: tf.Tensor2D;
let prefix: PromptPrefix;
const IDS = [3, 14, 15, 9, 2];

beforeAll(async () => {
  await initBackend({ log: () => {} });
  // Larger-than-default weights so greedy decoding does not collapse onto one token.
  weights = initGpt2Weights(TINY_CONFIG, 11);
  for (const v of weights.values()) v.assign(tf.mul(v, 8));
  softPrompt = tf.randomNormal([4, TINY_CONFIG.n_embd], 0, 4, 'float32', 21) as tf.Tensor2D;
  prefix = computePromptPrefix(TINY_CONFIG, weights, softPrompt);
});

afterAll(() => {
  disposePromptPrefix(prefix);
  softPrompt.dispose();
  disposeGpt2Weights(weights);
});

describe('computePromptPrefix', () => {
  it('given a 4-token soft prompt, then the prefix covers 4 positions of every layer and counts its bytes', () => {
    expect(prefix.virtualTokens).toBe(4);
    expect(prefix.cache.layers).toHaveLength(TINY_CONFIG.n_layer);
    expect(prefix.cache.layers[0]?.key.shape).toEqual([1, TINY_CONFIG.n_head, 4, 8]);
    // keys + values of 2 layers (2·2·4·16 floats) and a [1, 4] mask, 4 bytes each.
    expect(prefix.bytes).toBe((2 * 2 * 4 * 16 + 4) * 4);
  });

  it('given an empty soft prompt, then it is a ModelInputError', () => {
    const empty = tf.zeros([0, TINY_CONFIG.n_embd]) as tf.Tensor2D;
    expect(() => computePromptPrefix(TINY_CONFIG, weights, empty)).toThrow(ModelInputError);
    empty.dispose();
  });
});

describe('generate with a precomputed prefix', () => {
  it('given greedy decoding, then the tokens equal generation with the prompt passed fresh', () => {
    const fresh = generate(TINY_CONFIG, weights, IDS, { maxTokens: 12, temperature: 0, prompt: softPrompt });
    const cached = generate(TINY_CONFIG, weights, IDS, { maxTokens: 12, temperature: 0, prefix });
    expect(cached.tokens).toEqual(fresh.tokens);
    for (const [i, lp] of cached.logprobs.entries()) expect(lp).toBeCloseTo(fresh.logprobs[i] as number, 4);
    expect(new Set(cached.tokens).size).toBeGreaterThan(1);
  });

  it('given seeded sampling, then the tokens equal generation with the prompt passed fresh', () => {
    const options = { maxTokens: 10, temperature: 1.2, topP: 0.9, seed: 7 };
    const fresh = generate(TINY_CONFIG, weights, IDS, { ...options, prompt: softPrompt });
    expect(generate(TINY_CONFIG, weights, IDS, { ...options, prefix }).tokens).toEqual(fresh.tokens);
  });

  it('given the prefix, then the tokens differ from generation without any prompt', () => {
    const plain = generate(TINY_CONFIG, weights, IDS, { maxTokens: 8, temperature: 0 });
    expect(generate(TINY_CONFIG, weights, IDS, { maxTokens: 8, temperature: 0, prefix }).tokens).not.toEqual(
      plain.tokens,
    );
  });

  it('given many generations, then the shared prefix is never disposed and no tensor leaks', () => {
    generate(TINY_CONFIG, weights, IDS, { maxTokens: 2, temperature: 0, prefix });
    const before = tf.memory().numTensors;
    const first = generate(TINY_CONFIG, weights, IDS, { maxTokens: 5, temperature: 0, prefix });
    const second = generate(TINY_CONFIG, weights, IDS, { maxTokens: 5, temperature: 0, prefix });
    expect(second.tokens).toEqual(first.tokens);
    expect(prefix.cache.layers[0]?.key.isDisposed).toBe(false);
    expect(prefix.cache.mask?.isDisposed).toBe(false);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('given the prefix, then its virtual tokens count against the context', () => {
    const maxTokens = TINY_CONFIG.n_positions - IDS.length - 3;
    expect(() => generate(TINY_CONFIG, weights, IDS, { maxTokens, prefix })).toThrow(/4 virtual/);
  });

  it('given both a prompt and a prefix, then it is a ModelInputError', () => {
    const both = () => generate(TINY_CONFIG, weights, IDS, { maxTokens: 1, prompt: softPrompt, prefix });
    expect(both).toThrow(/not both/);
    expect(both).toThrow(ModelInputError);
  });
});

describe('generate with a samplable vocabulary smaller than vocab_size', () => {
  it('given ids past the tokenizer, then they are never sampled, greedy or at a high temperature', () => {
    const free = generate(TINY_CONFIG, weights, IDS, { maxTokens: 20, temperature: 0 });
    // Unmasked, greedy decoding picks `limit` itself at least once.
    const limit = Math.max(...free.tokens);
    const greedy = generate(TINY_CONFIG, weights, IDS, {
      maxTokens: 20,
      temperature: 0,
      samplableVocabSize: limit,
    });
    const hot = generate(TINY_CONFIG, weights, IDS, {
      maxTokens: 20,
      temperature: 2,
      seed: 3,
      samplableVocabSize: limit,
    });
    for (const id of [...greedy.tokens, ...hot.tokens]) expect(id).toBeLessThan(limit);
  });

  it('given a limit outside 1..vocab_size, then it is a ModelInputError', () => {
    const options = { maxTokens: 1, samplableVocabSize: TINY_CONFIG.vocab_size + 1 };
    expect(() => generate(TINY_CONFIG, weights, IDS, options)).toThrow(/samplableVocabSize/);
    expect(() => generate(TINY_CONFIG, weights, IDS, options)).toThrow(ModelInputError);
  });
});

describe('generate with top logprobs', () => {
  it('given topLogprobs 3, then each step lists 3 alternatives, likeliest first, the greedy token first', () => {
    const result = generate(TINY_CONFIG, weights, IDS, { maxTokens: 4, temperature: 0, topLogprobs: 3 });
    expect(result.topLogprobs).toHaveLength(4);
    result.topLogprobs?.forEach((top, i) => {
      expect(top).toHaveLength(3);
      expect(top[0]?.token).toBe(result.tokens[i]);
      expect(top[0]?.logprob).toBeCloseTo(result.logprobs[i] as number, 6);
      expect(top[0]?.logprob).toBeGreaterThanOrEqual(top[1]?.logprob as number);
      expect(top[1]?.logprob).toBeGreaterThanOrEqual(top[2]?.logprob as number);
    });
  });

  it('given topLogprobs above 20, then it is a ModelInputError', () => {
    const tooMany = () => generate(TINY_CONFIG, weights, IDS, { maxTokens: 1, topLogprobs: 21 });
    expect(tooMany).toThrow(/top logprobs/);
    expect(tooMany).toThrow(ModelInputError);
  });
});

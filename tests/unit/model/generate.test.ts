import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '#model/backend.ts';
import { ContextLengthError, ModelInputError } from '#model/errors.ts';
import { generate, sampleToken, seededRandom } from '#model/generate.ts';
import { disposeGpt2Weights, type Gpt2Weights, gpt2Forward, initGpt2Weights } from '#model/gpt2.ts';
import { TINY_CONFIG } from './helpers.ts';

let weights: Gpt2Weights;
const PROMPT = [3, 14, 15, 9, 2];
/** A toy detokenizer: one letter per id, so stop sequences have something to find. */
const decode = (ids: number[]) => ids.map((id) => String.fromCharCode(97 + (id % 26))).join('');

beforeAll(async () => {
  await initBackend({ log: () => {} });
  // Larger-than-default weights so greedy decoding does not collapse onto one token.
  weights = initGpt2Weights(TINY_CONFIG, 11);
  for (const v of weights.values()) v.assign(tf.mul(v, 8));
});

afterAll(() => disposeGpt2Weights(weights));

/** Greedy decoding the slow way: the whole sequence recomputed at every step, no cache. */
function greedyWithoutCache(ids: number[], steps: number, prompt?: tf.Tensor2D) {
  const sequence = [...ids];
  const logprobs: number[] = [];
  for (let i = 0; i < steps; i++) {
    const row = tf.tidy(() => {
      const input = tf.tensor2d([sequence], [1, sequence.length], 'int32');
      const logits = gpt2Forward(TINY_CONFIG, weights, input, prompt ? { prompt } : {}).logits;
      return tf.logSoftmax(
        logits.slice([0, logits.shape[1] - 1, 0], [1, 1, TINY_CONFIG.vocab_size]).reshape([-1]),
      );
    });
    const values = Array.from(row.dataSync());
    row.dispose();
    const next = values.indexOf(Math.max(...values));
    logprobs.push(values[next] as number);
    sequence.push(next);
  }
  return { tokens: sequence.slice(ids.length), logprobs };
}

describe('generate', () => {
  it('given greedy decoding, then KV-cached tokens and logprobs equal full recomputation', () => {
    const cached = generate(TINY_CONFIG, weights, PROMPT, { maxTokens: 12, temperature: 0 });
    const full = greedyWithoutCache(PROMPT, 12);
    expect(cached.tokens).toEqual(full.tokens);
    for (const [i, lp] of cached.logprobs.entries()) expect(lp).toBeCloseTo(full.logprobs[i] as number, 4);
    expect(new Set(cached.tokens).size).toBeGreaterThan(1);
    expect(cached.finishReason).toBe('length');
  });

  it('given a soft prompt, then KV-cached greedy tokens equal full recomputation with the prompt', () => {
    const prompt = tf.randomNormal([3, TINY_CONFIG.n_embd], 0, 4, 'float32', 21) as tf.Tensor2D;
    const cached = generate(TINY_CONFIG, weights, PROMPT, { maxTokens: 8, temperature: 0, prompt });
    expect(cached.tokens).toEqual(greedyWithoutCache(PROMPT, 8, prompt).tokens);
    expect(cached.tokens).not.toEqual(
      generate(TINY_CONFIG, weights, PROMPT, { maxTokens: 8, temperature: 0 }).tokens,
    );
  });

  it('given the same seed twice, then sampling gives the same tokens; another seed gives others', () => {
    const run = (seed: number) =>
      generate(TINY_CONFIG, weights, PROMPT, { maxTokens: 10, temperature: 1.5, seed }).tokens;
    expect(run(42)).toEqual(run(42));
    expect(run(42)).not.toEqual(run(43));
  });

  it('given top_p so small that one token remains, then sampling equals greedy', () => {
    const greedy = generate(TINY_CONFIG, weights, PROMPT, { maxTokens: 6, temperature: 0 }).tokens;
    const nucleus = generate(TINY_CONFIG, weights, PROMPT, {
      maxTokens: 6,
      temperature: 1,
      topP: 1e-9,
      seed: 5,
    });
    expect(nucleus.tokens).toEqual(greedy);
  });

  it('given a stop sequence in the continuation, then text is cut before it and the reason is stop', () => {
    const free = generate(TINY_CONFIG, weights, PROMPT, { maxTokens: 12, temperature: 0, decode });
    const stop = (free.text as string).slice(4, 6);
    const stopped = generate(TINY_CONFIG, weights, PROMPT, {
      maxTokens: 12,
      temperature: 0,
      decode,
      stop: [stop],
    });
    const at = (free.text as string).indexOf(stop);
    expect(stopped.text).toBe((free.text as string).slice(0, at));
    expect(stopped.finishReason).toBe('stop');
    expect(stopped.tokens).toEqual(free.tokens.slice(0, at + 2));
  });

  it('given the EOS id is the next token, then generation stops without emitting it', () => {
    const first = generate(TINY_CONFIG, weights, PROMPT, { maxTokens: 1, temperature: 0 })
      .tokens[0] as number;
    const result = generate(TINY_CONFIG, weights, PROMPT, {
      maxTokens: 5,
      temperature: 0,
      eosTokenId: first,
      decode,
    });
    expect(result).toEqual({ tokens: [], logprobs: [], text: '', finishReason: 'stop' });
  });

  it('given a request that exactly fills the context, then it runs; one more token is a ContextLengthError', () => {
    const fits = TINY_CONFIG.n_positions - PROMPT.length;
    expect(generate(TINY_CONFIG, weights, PROMPT, { maxTokens: fits, temperature: 0 }).tokens).toHaveLength(
      fits,
    );
    expect(() => generate(TINY_CONFIG, weights, PROMPT, { maxTokens: fits + 1 })).toThrow(ContextLengthError);
  });

  it('given a request one token over the context, then the error carries the positions needed and the context', () => {
    const over = TINY_CONFIG.n_positions - PROMPT.length + 1;
    expect(() => generate(TINY_CONFIG, weights, PROMPT, { maxTokens: over })).toThrow(
      expect.objectContaining({
        positions: TINY_CONFIG.n_positions + 1,
        contextLength: TINY_CONFIG.n_positions,
      }),
    );
  });

  it('given a soft prompt, then its virtual tokens count against the context', () => {
    const prompt = tf.zeros([4, TINY_CONFIG.n_embd]) as tf.Tensor2D;
    const maxTokens = TINY_CONFIG.n_positions - PROMPT.length - 3;
    expect(() => generate(TINY_CONFIG, weights, PROMPT, { maxTokens, prompt })).toThrow(/4 virtual/);
  });

  it('given a finished generation, then no tensor is left behind', () => {
    generate(TINY_CONFIG, weights, PROMPT, { maxTokens: 2, temperature: 0 });
    const before = tf.memory().numTensors;
    generate(TINY_CONFIG, weights, PROMPT, { maxTokens: 5, temperature: 0.7, seed: 1 });
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each([
    ['max tokens of 0', { maxTokens: 0 }, /max_tokens/],
    ['a negative temperature', { maxTokens: 1, temperature: -1 }, /temperature/],
    ['top_p of 0', { maxTokens: 1, topP: 0 }, /top_p/],
    ['stop sequences without decode', { maxTokens: 1, stop: ['x'] }, /decode/],
  ])('given %s, then it throws a ModelInputError', (_, options, message) => {
    expect(() => generate(TINY_CONFIG, weights, PROMPT, options)).toThrow(ModelInputError);
    expect(() => generate(TINY_CONFIG, weights, PROMPT, options)).toThrow(message);
  });

  it('given an empty prompt or an id outside the vocabulary, then it throws a ModelInputError', () => {
    expect(() => generate(TINY_CONFIG, weights, [], { maxTokens: 1 })).toThrow(/no tokens/);
    expect(() => generate(TINY_CONFIG, weights, [1, 50], { maxTokens: 1 })).toThrow(/token id 50/);
    expect(() => generate(TINY_CONFIG, weights, [], { maxTokens: 1 })).toThrow(ModelInputError);
    expect(() => generate(TINY_CONFIG, weights, [1, 50], { maxTokens: 1 })).toThrow(ModelInputError);
  });
});

describe('sampleToken', () => {
  it('given logits for probabilities 1/4 and 3/4, then seeded samples follow them', () => {
    const logits = new Float32Array([0, Math.log(3)]);
    const random = seededRandom(9);
    let ones = 0;
    for (let i = 0; i < 4000; i++) ones += sampleToken(logits, 1, 1, random);
    expect(ones / 4000).toBeGreaterThan(0.72);
    expect(ones / 4000).toBeLessThan(0.78);
  });

  it('given top_p of 0.5 over probabilities 0.6/0.3/0.1, then only the most likely token is drawn', () => {
    const logits = new Float32Array([Math.log(0.6), Math.log(0.3), Math.log(0.1)]);
    const random = seededRandom(1);
    const drawn = new Set(Array.from({ length: 200 }, () => sampleToken(logits, 1, 0.5, random)));
    expect([...drawn]).toEqual([0]);
  });

  it('given temperature 0, then it returns the first maximum', () => {
    expect(sampleToken(new Float32Array([1, 5, 5, 2]), 0, 1, () => 0.5)).toBe(1);
  });
});

import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormatError } from '#core/errors.ts';
import { initBackend } from '#model/backend.ts';
import { ContextLengthError } from '#model/errors.ts';
import {
  disposeGpt2Weights,
  type Gpt2Weights,
  gpt2Forward,
  gpt2WeightShapes,
  initGpt2Weights,
} from '#model/gpt2.ts';
import { disposeKvCache, emptyKvCache, type KvCache } from '#model/kv-cache.ts';
import { maxAbsDiff, TINY_CONFIG } from './helpers.ts';

let weights: Gpt2Weights;

beforeAll(async () => {
  await initBackend({ log: () => {} });
  weights = initGpt2Weights(TINY_CONFIG, 7);
});

afterAll(() => disposeGpt2Weights(weights));

function ids(rows: number[][]): tf.Tensor2D {
  return tf.tensor2d(rows, [rows.length, rows[0]?.length ?? 0], 'int32');
}

describe('initGpt2Weights', () => {
  it('given a config, then it creates every GPT-2 tensor with its HF shape, trainable', () => {
    const shapes = gpt2WeightShapes(TINY_CONFIG);
    expect([...weights.keys()].sort()).toEqual([...shapes.keys()].sort());
    for (const [name, v] of weights) {
      expect(v.shape).toEqual(shapes.get(name));
      expect(v.trainable).toBe(true);
    }
    expect(shapes.get('h.1.attn.c_attn.weight')).toEqual([16, 48]);
  });

  it('given the same seed twice, then the weights are identical; another seed differs', () => {
    const again = initGpt2Weights(TINY_CONFIG, 7);
    const other = initGpt2Weights(TINY_CONFIG, 8);
    const wte = weights.get('wte.weight') as tf.Variable;
    expect(maxAbsDiff(wte, again.get('wte.weight') as tf.Variable)).toBe(0);
    expect(maxAbsDiff(wte, other.get('wte.weight') as tf.Variable)).toBeGreaterThan(0);
    disposeGpt2Weights(again);
    disposeGpt2Weights(other);
  });

  it("given GPT-2's scheme, then biases are zero, LN gains one, c_proj std scaled by 1/sqrt(2·n_layer)", () => {
    expect(tf.sum(tf.abs(weights.get('h.0.mlp.c_fc.bias') as tf.Variable)).dataSync()[0]).toBe(0);
    expect(Array.from((weights.get('ln_f.weight') as tf.Variable).dataSync())).toEqual(Array(16).fill(1));
    const big = initGpt2Weights({ ...TINY_CONFIG, n_embd: 64, n_head: 4 }, 1);
    const std = (name: string) =>
      Math.sqrt(tf.moments(big.get(name) as tf.Variable).variance.dataSync()[0] as number);
    expect(std('h.0.mlp.c_fc.weight')).toBeCloseTo(0.02, 2);
    expect(std('h.0.mlp.c_proj.weight')).toBeCloseTo(0.01, 2);
    disposeGpt2Weights(big);
  });
});

describe('gpt2Forward', () => {
  it('given ids [B, T], then logits are [B, T, vocab] and no tensor leaks', () => {
    const input = ids([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const before = tf.memory().numTensors;
    const { logits, cache } = gpt2Forward(TINY_CONFIG, weights, input);
    expect(logits.shape).toEqual([2, 3, 50]);
    expect(cache).toBeUndefined();
    logits.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('given a change to a later token, then the logits of earlier positions do not change (causal)', () => {
    const a = gpt2Forward(TINY_CONFIG, weights, ids([[1, 2, 3, 4]])).logits;
    const b = gpt2Forward(TINY_CONFIG, weights, ids([[1, 2, 3, 9]])).logits;
    expect(maxAbsDiff(a.slice([0, 0, 0], [1, 3, 50]), b.slice([0, 0, 0], [1, 3, 50]))).toBe(0);
    expect(maxAbsDiff(a.slice([0, 3, 0], [1, 1, 50]), b.slice([0, 3, 0], [1, 1, 50]))).toBeGreaterThan(0);
  });

  it('given a right-padded row, then its real positions match the same row run alone', () => {
    const alone = gpt2Forward(TINY_CONFIG, weights, ids([[7, 8]])).logits;
    const mask = tf.tensor2d([
      [1, 1, 1, 1],
      [1, 1, 0, 0],
    ]);
    const batch = gpt2Forward(
      TINY_CONFIG,
      weights,
      ids([
        [1, 2, 3, 4],
        [7, 8, 0, 0],
      ]),
      { attentionMask: mask },
    ).logits;
    expect(maxAbsDiff(alone, batch.slice([1, 0, 0], [1, 2, 50]))).toBeLessThan(1e-5);
  });

  it('given a left-padded row, then the padding ids do not change the logits of real positions', () => {
    const mask = tf.tensor2d([[0, 0, 1, 1]]);
    const a = gpt2Forward(TINY_CONFIG, weights, ids([[0, 0, 7, 8]]), { attentionMask: mask }).logits;
    const b = gpt2Forward(TINY_CONFIG, weights, ids([[5, 9, 7, 8]]), { attentionMask: mask }).logits;
    const unmasked = gpt2Forward(TINY_CONFIG, weights, ids([[5, 9, 7, 8]])).logits;
    expect(maxAbsDiff(a.slice([0, 2, 0], [1, 2, 50]), b.slice([0, 2, 0], [1, 2, 50]))).toBeLessThan(1e-6);
    expect(maxAbsDiff(b.slice([0, 2, 0], [1, 2, 50]), unmasked.slice([0, 2, 0], [1, 2, 50]))).toBeGreaterThan(
      1e-4,
    );
  });

  it('given a soft prompt of P vectors, then logits cover P + T positions and the prompt changes them', () => {
    const prompt = tf.randomNormal([3, 16], 0, 1, 'float32', 3) as tf.Tensor2D;
    const withPrompt = gpt2Forward(TINY_CONFIG, weights, ids([[1, 2]]), { prompt }).logits;
    const without = gpt2Forward(TINY_CONFIG, weights, ids([[1, 2]])).logits;
    expect(withPrompt.shape).toEqual([1, 5, 50]);
    expect(maxAbsDiff(withPrompt.slice([0, 3, 0], [1, 2, 50]), without)).toBeGreaterThan(1e-3);
  });

  it('given a soft prompt and a padded batch, then prompt positions are attended even though the mask covers only text', () => {
    const prompt = tf.randomNormal([2, 16], 0, 1, 'float32', 4) as tf.Tensor2D;
    const alone = gpt2Forward(TINY_CONFIG, weights, ids([[7]]), { prompt }).logits;
    const mask = tf.tensor2d([
      [1, 1],
      [1, 0],
    ]);
    const batch = gpt2Forward(
      TINY_CONFIG,
      weights,
      ids([
        [3, 4],
        [7, 0],
      ]),
      { prompt, attentionMask: mask },
    ).logits;
    expect(maxAbsDiff(alone, batch.slice([1, 0, 0], [1, 3, 50]))).toBeLessThan(1e-5);
  });

  it('given a loss over the logits, then gradients reach every weight and the prompt', () => {
    const prompt = tf.variable(tf.randomNormal([2, 16], 0, 0.1, 'float32', 5)) as tf.Variable<tf.Rank.R2>;
    const { grads } = tf.variableGrads(
      () =>
        tf.mean(
          tf.square(gpt2Forward(TINY_CONFIG, weights, ids([[1, 2, 3]]), { prompt }).logits),
        ) as tf.Scalar,
    );
    expect(Object.keys(grads)).toHaveLength(weights.size + 1);
    expect(tf.sum(tf.abs(grads[prompt.name] as tf.Tensor)).dataSync()[0]).toBeGreaterThan(0);
    expect(
      tf.sum(tf.abs(grads[(weights.get('wte.weight') as tf.Variable).name] as tf.Tensor)).dataSync()[0],
    ).toBeGreaterThan(0);
  });

  it('given a prefix then a suffix through the KV cache, then the suffix logits equal one full pass', () => {
    const mask = tf.tensor2d([
      [1, 1, 1, 1, 1],
      [1, 1, 1, 0, 0],
    ]);
    const prompt = tf.randomNormal([2, 16], 0, 1, 'float32', 6) as tf.Tensor2D;
    const full = gpt2Forward(
      TINY_CONFIG,
      weights,
      ids([
        [1, 2, 3, 4, 5],
        [6, 7, 8, 0, 0],
      ]),
      { attentionMask: mask, prompt },
    );
    const first = gpt2Forward(
      TINY_CONFIG,
      weights,
      ids([
        [1, 2, 3],
        [6, 7, 8],
      ]),
      {
        attentionMask: mask.slice([0, 0], [2, 3]),
        prompt,
        cache: emptyKvCache(),
      },
    );
    const cache = first.cache as KvCache;
    expect(cache.length).toBe(5);
    const second = gpt2Forward(
      TINY_CONFIG,
      weights,
      ids([
        [4, 5],
        [0, 0],
      ]),
      {
        attentionMask: mask.slice([0, 3], [2, 2]),
        cache,
      },
    );
    expect((second.cache as KvCache).length).toBe(7);
    expect(maxAbsDiff(first.logits, full.logits.slice([0, 0, 0], [2, 5, 50]))).toBeLessThan(1e-5);
    expect(
      maxAbsDiff(second.logits.slice([0, 0, 0], [1, 2, 50]), full.logits.slice([0, 5, 0], [1, 2, 50])),
    ).toBeLessThan(1e-5);
    disposeKvCache(cache);
    disposeKvCache(second.cache as KvCache);
  });

  it('given lastPositionOnly, then logits are [B, 1, vocab] and equal the last position of a full pass', () => {
    const prompt = tf.randomNormal([2, 16], 0, 1, 'float32', 8) as tf.Tensor2D;
    const input = ids([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const full = gpt2Forward(TINY_CONFIG, weights, input, { prompt }).logits;
    const last = gpt2Forward(TINY_CONFIG, weights, input, { prompt, lastPositionOnly: true }).logits;
    expect(last.shape).toEqual([2, 1, 50]);
    expect(maxAbsDiff(last, full.slice([0, 4, 0], [2, 1, 50]))).toBeLessThan(1e-6);
  });

  it('given a soft prompt with a non-empty cache, then it throws: the prompt belongs at the start', () => {
    const first = gpt2Forward(TINY_CONFIG, weights, ids([[1]]), { cache: emptyKvCache() });
    const prompt = tf.zeros([1, 16]) as tf.Tensor2D;
    expect(() =>
      gpt2Forward(TINY_CONFIG, weights, ids([[2]]), { cache: first.cache as KvCache, prompt }),
    ).toThrow(/start of a sequence/);
    disposeKvCache(first.cache as KvCache);
  });

  it('given a cache built for another batch size, then it throws', () => {
    const first = gpt2Forward(TINY_CONFIG, weights, ids([[1], [2]]), { cache: emptyKvCache() });
    expect(() => gpt2Forward(TINY_CONFIG, weights, ids([[3]]), { cache: first.cache as KvCache })).toThrow(
      /cache batch 2/,
    );
    disposeKvCache(first.cache as KvCache);
  });

  it('given more positions than n_positions, then it throws a ContextLengthError', () => {
    const long = ids([Array.from({ length: 30 }, (_, i) => i)]);
    const prompt = tf.zeros([3, 16]) as tf.Tensor2D;
    expect(() => gpt2Forward(TINY_CONFIG, weights, long, { prompt })).toThrow(ContextLengthError);
  });

  it('given more positions than n_positions, then the error carries the positions needed and the context', () => {
    const long = ids([Array.from({ length: 30 }, (_, i) => i)]);
    const prompt = tf.zeros([3, 16]) as tf.Tensor2D;
    expect(() => gpt2Forward(TINY_CONFIG, weights, long, { prompt })).toThrow(
      expect.objectContaining({ positions: 33, contextLength: TINY_CONFIG.n_positions }),
    );
  });

  it('given a mask of the wrong shape, then it throws naming both shapes', () => {
    expect(() =>
      gpt2Forward(TINY_CONFIG, weights, ids([[1, 2]]), { attentionMask: tf.ones([1, 3]) as tf.Tensor2D }),
    ).toThrow(/\[1, 3\].*\[1, 2\]/);
  });

  it('given a prompt of the wrong width, then it throws', () => {
    expect(() =>
      gpt2Forward(TINY_CONFIG, weights, ids([[1]]), { prompt: tf.zeros([2, 8]) as tf.Tensor2D }),
    ).toThrow(/n_embd/);
  });

  it('given weights missing a tensor, then it throws a FormatError naming it', () => {
    const partial: Gpt2Weights = new Map(weights);
    partial.delete('h.1.ln_2.bias');
    expect(() => gpt2Forward(TINY_CONFIG, partial, ids([[1]]))).toThrow(FormatError);
    expect(() => gpt2Forward(TINY_CONFIG, partial, ids([[1]]))).toThrow(/h\.1\.ln_2\.bias/);
  });
});

import * as tf from '@tensorflow/tfjs';
import type { Gpt2Config } from '#core/gpt2-config.ts';
import { ModelInputError } from '#model/errors.ts';
import { type Gpt2Weights, gpt2Forward } from '#model/gpt2.ts';
import { disposeKvCache, emptyKvCache, type KvCache } from '#model/kv-cache.ts';

/**
 * A tuned prompt's keys and values, computed once per (model, prompt) and shared by every request that
 * attaches that prompt: the soft prompt sits at positions 0..P-1 and attends only to itself, so its
 * keys/values do not depend on the request. A request then costs what the same request without a prompt
 * costs, plus attention over P more positions.
 *
 * Shared and read-only: generation concatenates onto it into new caches (KV caches are immutable) and
 * never disposes it; only its owner (the artifact cache, on eviction) calls `disposePromptPrefix`.
 */
export interface PromptPrefix {
  /** The cache after the soft prompt alone: one sequence (batch 1), `length` = virtual tokens. */
  readonly cache: KvCache;
  /** Number of soft-prompt positions (`num_virtual_tokens`). */
  readonly virtualTokens: number;
  /** Bytes of tensor memory it holds, for a cache bounded by bytes. */
  readonly bytes: number;
}

/** Runs the soft prompt `[P, n_embd]` through the model once and keeps the resulting KV cache. */
export function computePromptPrefix(
  config: Gpt2Config,
  weights: Gpt2Weights,
  prompt: tf.Tensor2D,
): PromptPrefix {
  if (prompt.shape[0] < 1) throw new ModelInputError('a soft prompt needs at least one virtual token');
  const noTokens = tf.tensor2d([], [1, 0], 'int32');
  try {
    const result = gpt2Forward(config, weights, noTokens, {
      prompt,
      cache: emptyKvCache(),
      lastPositionOnly: true,
    });
    result.logits.dispose();
    const cache = result.cache as KvCache;
    return { cache, virtualTokens: cache.length, bytes: kvCacheBytes(cache) };
  } finally {
    noTokens.dispose();
  }
}

/** Bytes of the tensors a KV cache holds. */
export function kvCacheBytes(cache: KvCache): number {
  let elements = cache.mask?.size ?? 0;
  for (const layer of cache.layers) elements += layer.key.size + layer.value.size;
  return elements * 4;
}

/** Frees a prefix: for its owner only, once no generation can still be reading it. */
export function disposePromptPrefix(prefix: PromptPrefix): void {
  disposeKvCache(prefix.cache);
}

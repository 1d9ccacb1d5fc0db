import type * as tf from '@tensorflow/tfjs';

/** One layer's attention keys and values for every position seen so far, each `[B, n_head, L, head_dim]`. */
export interface LayerKv {
  readonly key: tf.Tensor4D;
  readonly value: tf.Tensor4D;
}

/**
 * What incremental decoding keeps between steps so that each new token costs one position's work
 * instead of recomputing the whole prefix. Immutable: `gpt2Forward` returns a new cache and leaves the old
 * one for the caller to dispose (`disposeKvCache`), which keeps ownership of tensors in one place.
 */
export interface KvCache {
  /** Empty before the first forward pass, then one entry per layer. */
  readonly layers: readonly LayerKv[];
  /** `[B, L]`: 1 where a past position may be attended (a real token or a soft-prompt slot), 0 for padding. */
  readonly mask: tf.Tensor2D | null;
  /** Positions consumed so far (soft prompt included); the next token takes this position id. */
  readonly length: number;
}

/** A cache to pass to the first `gpt2Forward` call of a generation. */
export function emptyKvCache(): KvCache {
  return { layers: [], mask: null, length: 0 };
}

/** Frees the cache's tensors; safe to call on an empty cache. */
export function disposeKvCache(cache: KvCache): void {
  for (const layer of cache.layers) {
    layer.key.dispose();
    layer.value.dispose();
  }
  cache.mask?.dispose();
}

import * as tf from '@tensorflow/tfjs';

/**
 * From tokenised examples to the tensors of one training step: the next-token shift, padding, loss mask,
 * and the deterministic data order that lets a resumed run see exactly the batches it would have seen.
 */

/** A tokenised example, as the data pipeline produces it. `lossMask[i]` = 1: token i is trained on. */
export interface TokenizedExample {
  readonly inputIds: readonly number[];
  readonly lossMask: readonly number[];
}

/** The tensors of one step; all `[B, L-1]` where L is the longest example of the batch. */
export interface TrainBatch {
  /** Tokens 0..L-2 of each example (int32), padded with 0. */
  readonly inputIds: tf.Tensor2D;
  /** 1 for a real input token, 0 for padding. */
  readonly attentionMask: tf.Tensor2D;
  /** Tokens 1..L-1: what each position must predict (int32). */
  readonly targets: tf.Tensor2D;
  /** 1 where the predicted token is trained on (and real). */
  readonly lossMask: tf.Tensor2D;
  /** Real input tokens in the batch (what throughput counts). */
  readonly tokens: number;
}

/**
 * Cuts every example to `maxTokens` tokens (the context left after the virtual tokens, plus the one
 * token that is only ever a target). Keeps the head, like the data pipeline; counts what it cut.
 */
export function fitToContext(
  examples: readonly TokenizedExample[],
  maxTokens: number,
): { examples: TokenizedExample[]; truncated: number } {
  let truncated = 0;
  const fitted = examples.map((e) => {
    if (e.inputIds.length !== e.lossMask.length) {
      throw new RangeError(`example has ${e.inputIds.length} ids but ${e.lossMask.length} mask entries`);
    }
    if (e.inputIds.length <= maxTokens) return e;
    truncated += 1;
    return { inputIds: e.inputIds.slice(0, maxTokens), lossMask: e.lossMask.slice(0, maxTokens) };
  });
  return { examples: fitted, truncated };
}

/** Builds the step tensors; `lossOnEveryToken` (continued pre-training) ignores the examples' masks. */
export function makeTrainBatch(examples: readonly TokenizedExample[], lossOnEveryToken: boolean): TrainBatch {
  if (examples.length === 0) throw new RangeError('a batch needs at least one example');
  const width = Math.max(1, ...examples.map((e) => e.inputIds.length - 1));
  const size = examples.length * width;
  const ids = new Int32Array(size);
  const attention = new Float32Array(size);
  const targets = new Int32Array(size);
  const loss = new Float32Array(size);
  let tokens = 0;
  examples.forEach((e, row) => {
    for (let i = 0; i < e.inputIds.length - 1; i++) {
      const at = row * width + i;
      ids[at] = e.inputIds[i] ?? 0;
      attention[at] = 1;
      targets[at] = e.inputIds[i + 1] ?? 0;
      loss[at] = lossOnEveryToken ? 1 : (e.lossMask[i + 1] ?? 0);
    }
    tokens += Math.max(0, e.inputIds.length - 1);
  });
  const shape: [number, number] = [examples.length, width];
  return {
    inputIds: tf.tensor2d(ids, shape, 'int32'),
    attentionMask: tf.tensor2d(attention, shape),
    targets: tf.tensor2d(targets, shape, 'int32'),
    lossMask: tf.tensor2d(loss, shape),
    tokens,
  };
}

export function disposeTrainBatch(batch: TrainBatch): void {
  tf.dispose([batch.inputIds, batch.attentionMask, batch.targets, batch.lossMask]);
}

/** mulberry32: a tiny seeded PRNG, enough for shuffling, identical on every platform. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates with a seeded generator. */
export function seededShuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  const random = mulberry32(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/**
 * The order of the examples in `epoch`: a pure function of (seed, epoch), so the data position of a
 * run is its step count and a resumed run needs no generator state to continue identically.
 */
export function epochOrder(count: number, seed: number, epoch: number): number[] {
  const indices = Array.from({ length: count }, (_, i) => i);
  return seededShuffle(indices, (Math.imul(seed >>> 0, 0x9e3779b1) ^ ((epoch + 1) * 0x85ebca6b)) >>> 0);
}

/**
 * Holds out `fraction` of the examples for validation when the job gave no validation file: at least
 * one, at most 1,000, and none at all below 10 examples (too few to spare any).
 */
export function holdOutValidation<T>(
  examples: readonly T[],
  fraction: number,
  seed: number,
): { train: T[]; validation: T[] } {
  if (examples.length < 10 || fraction <= 0) return { train: [...examples], validation: [] };
  const held = Math.min(1000, Math.max(1, Math.round(examples.length * fraction)));
  const shuffled = seededShuffle(examples, seed ^ 0x5bd1e995);
  return { train: shuffled.slice(held), validation: shuffled.slice(0, held) };
}

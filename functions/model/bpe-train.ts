import { ModelInputError } from '#model/errors.ts';
import { type ByteLevelBpe, bytesToUnicode, END_OF_TEXT, GPT2_SPLIT_REGEX } from '#model/tokenizer.ts';

/** What to train: the final vocabulary size counts the 256 bytes, the merges and the special tokens. */
export interface BpeTrainOptions {
  vocabSize: number;
  /** Appended after the merges, in this order; `<|endoftext|>` by default, like GPT-2. */
  specialTokens?: readonly string[];
  /** A pair seen fewer times than this is never merged (default 2: a merge must be used twice). */
  minFrequency?: number;
  /**
   * How the 256 byte tokens are numbered, which also decides ties between equally frequent pairs:
   * `byte` (default; id = byte value, the built-in tokenizer) or `code-point` (the byte characters in
   * code-point order: GPT-2's ids 0-255, and the order Hugging Face's BpeTrainer breaks ties in, so the
   * same text gives its merges in its order).
   */
  alphabetOrder?: 'byte' | 'code-point';
}

const MAX_VOCAB = 1 << 16;
const pairKey = (left: number, right: number): number => left * MAX_VOCAB + right;

/** Max-heap of (count, pair) ordered by count, ties to the smaller pair key, so training is deterministic. */
class PairHeap {
  private readonly counts: number[] = [];
  private readonly keys: number[] = [];

  get size(): number {
    return this.keys.length;
  }

  private above(i: number, j: number): boolean {
    const ci = this.counts[i] as number;
    const cj = this.counts[j] as number;
    return ci > cj || (ci === cj && (this.keys[i] as number) < (this.keys[j] as number));
  }

  private swap(i: number, j: number): void {
    [this.counts[i], this.counts[j]] = [this.counts[j] as number, this.counts[i] as number];
    [this.keys[i], this.keys[j]] = [this.keys[j] as number, this.keys[i] as number];
  }

  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    for (let i = this.keys.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!this.above(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): { count: number; key: number } {
    const top = { count: this.counts[0] as number, key: this.keys[0] as number };
    const lastCount = this.counts.pop() as number;
    const lastKey = this.keys.pop() as number;
    if (this.keys.length > 0) {
      this.counts[0] = lastCount;
      this.keys[0] = lastKey;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < this.keys.length && this.above(l, best)) best = l;
        if (r < this.keys.length && this.above(r, best)) best = r;
        if (best === i) break;
        this.swap(i, best);
        i = best;
      }
    }
    return top;
  }
}

/**
 * Splits texts as GPT-2 does before BPE (its regex, never across a special token) and counts each
 * distinct piece: merges are learned over these counts, so the corpus is read only once.
 */
export function countPreTokens(
  texts: Iterable<string>,
  specialTokens: readonly string[],
): Map<string, number> {
  const counts = new Map<string, number>();
  for (const text of texts) {
    let parts = [text];
    for (const special of specialTokens) parts = parts.flatMap((p) => p.split(special));
    for (const part of parts) {
      for (const [piece] of part.matchAll(GPT2_SPLIT_REGEX)) counts.set(piece, (counts.get(piece) ?? 0) + 1);
    }
  }
  return counts;
}

/** Adds (or, with a negative `by`, removes) every adjacent pair of `word` to the counts. */
function countPairs(word: number[], by: number, counts: Map<number, number>): void {
  for (let i = 0; i + 1 < word.length; i++) {
    const key = pairKey(word[i] as number, word[i + 1] as number);
    counts.set(key, (counts.get(key) ?? 0) + by);
  }
}

/** `word` with every non-overlapping (left, right), scanned left to right, replaced by `merged`. */
function applyMerge(word: number[], left: number, right: number, merged: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < word.length; i++) {
    if (word[i] === left && word[i + 1] === right) {
      out.push(merged);
      i++;
    } else {
      out.push(word[i] as number);
    }
  }
  return out;
}

/**
 * Learns a byte-level BPE the way GPT-2's was made: start from the 256 bytes, repeatedly merge the
 * most frequent adjacent pair (ties to the smaller pair of ids, as Hugging Face's BpeTrainer does). Pair counts are updated incrementally:
 * a merge re-counts only the words that contain the pair (found through a pair → words index) and the
 * heap is corrected lazily, so each merge costs the words it touches rather than the whole corpus.
 */
export function trainByteLevelBpe(texts: Iterable<string>, options: BpeTrainOptions): ByteLevelBpe {
  const specials = options.specialTokens ?? [END_OF_TEXT];
  const minFrequency = options.minFrequency ?? 2;
  if (
    !Number.isInteger(options.vocabSize) ||
    options.vocabSize < 256 + specials.length ||
    options.vocabSize > MAX_VOCAB
  ) {
    throw new ModelInputError(
      `vocabulary size must be an integer from ${256 + specials.length} to ${MAX_VOCAB}, got ${options.vocabSize}`,
      { param: 'vocabSize' },
    );
  }
  const alphabet = bytesToUnicode();
  const tokens = options.alphabetOrder === 'code-point' ? [...alphabet].sort() : [...alphabet];
  const ids = new Map(tokens.map((t, id) => [t, id]));
  const byteIds = alphabet.map((char) => ids.get(char) as number);
  const encoder = new TextEncoder();
  const words: number[][] = [];
  const freqs: number[] = [];
  for (const [piece, freq] of countPreTokens(texts, specials)) {
    words.push(Array.from(encoder.encode(piece), (b) => byteIds[b] as number));
    freqs.push(freq);
  }
  const counts = new Map<number, number>();
  const where = new Map<number, Set<number>>();
  words.forEach((word, w) => {
    countPairs(word, freqs[w] as number, counts);
    for (let i = 0; i + 1 < word.length; i++) {
      const key = pairKey(word[i] as number, word[i + 1] as number);
      const set = where.get(key) ?? new Set<number>();
      set.add(w);
      where.set(key, set);
    }
  });
  const heap = new PairHeap();
  for (const [key, count] of counts) heap.push(count, key);

  const merges: Array<[string, string]> = [];
  while (ids.size + specials.length < options.vocabSize && heap.size > 0) {
    const { count, key } = heap.pop();
    const current = counts.get(key) ?? 0;
    if (current !== count) {
      if (current > 0) heap.push(current, key);
      continue;
    }
    if (count < minFrequency) break;
    const left = Math.floor(key / MAX_VOCAB);
    const right = key % MAX_VOCAB;
    const leftToken = tokens[left] as string;
    const rightToken = tokens[right] as string;
    const spelled = leftToken + rightToken;
    let merged = ids.get(spelled);
    if (merged === undefined) {
      merged = tokens.length;
      tokens.push(spelled);
      ids.set(spelled, merged);
    }
    merges.push([leftToken, rightToken]);
    const grown = new Set<number>();
    for (const w of where.get(key) ?? []) {
      const word = words[w] as number[];
      const freq = freqs[w] as number;
      const next = applyMerge(word, left, right, merged);
      if (next.length === word.length) continue;
      countPairs(word, -freq, counts);
      countPairs(next, freq, counts);
      words[w] = next;
      for (let i = 0; i + 1 < next.length; i++) {
        if (next[i] !== merged && next[i + 1] !== merged) continue;
        const newKey = pairKey(next[i] as number, next[i + 1] as number);
        grown.add(newKey);
        const set = where.get(newKey) ?? new Set<number>();
        set.add(w);
        where.set(newKey, set);
      }
    }
    counts.delete(key);
    where.delete(key);
    for (const newKey of grown) heap.push(counts.get(newKey) ?? 0, newKey);
  }
  const vocab = new Map(ids);
  for (const special of specials) vocab.set(special, vocab.size);
  return { vocab, merges, specialTokens: new Map(specials.map((s) => [s, vocab.get(s) as number])) };
}

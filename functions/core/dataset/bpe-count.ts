/**
 * Byte-level BPE that only counts: the number of tokens a byte-level BPE tokenizer makes of one
 * pre-token, computed on integer ids with a heap, in O(n log n) for a piece of n bytes and without
 * building token strings. It follows `@huggingface/tokenizers`' BPE exactly (lowest merge rank first,
 * ties to the leftmost pair), so counts equal `encode(piece).length`; it exists because that encode costs
 * ~50 µs per short piece and ~6 µs per byte of a long one, which text the cache cannot help with (CJK,
 * code, identifiers) would turn into hours per gigabyte.
 */

/** A byte-level BPE as ids: what `tokenizer.json`'s vocabulary and merges become once spelled in ids. */
export interface ByteLevelBpeIds {
  /** Token id of each single byte (index = byte value). */
  byteIds: Int32Array;
  /** Merges in rank order: `[left id, right id, merged id]`. */
  merges: ReadonlyArray<readonly [number, number, number]>;
}

/** Counts the tokens of one piece of text. */
export type PieceTokenCounter = (text: string, start: number, end: number) => number;

export function createBpePieceCounter(bpe: ByteLevelBpeIds): PieceTokenCounter {
  const width = Math.max(...bpe.merges.map(([l, r, m]) => Math.max(l, r, m)), ...bpe.byteIds) + 1;
  /** (left * width + right) → rank; the merged id is `mergedByRank[rank]`. */
  const rankOf = new Map<number, number>();
  const mergedByRank = new Int32Array(bpe.merges.length);
  bpe.merges.forEach(([left, right, merged], rank) => {
    rankOf.set(left * width + right, rank); // a repeated merge keeps its last rank, as the tokenizer does
    mergedByRank[rank] = merged;
  });
  const encoder = new TextEncoder();
  let bytes = new Uint8Array(256);
  let ids = new Int32Array(256);
  let next = new Int32Array(256);
  let prev = new Int32Array(256);
  let heap = new Float64Array(768);

  return (text, start, end) => {
    const piece = text.slice(start, end);
    if (bytes.length < piece.length * 3) {
      // UTF-8 takes at most 3 bytes per UTF-16 code unit; the heap at most n - 1 + 2 merges' pushes.
      const size = piece.length * 3;
      bytes = new Uint8Array(size);
      ids = new Int32Array(size);
      next = new Int32Array(size);
      prev = new Int32Array(size);
      heap = new Float64Array(size * 3);
    }
    const n = encoder.encodeInto(piece, bytes).written;
    if (n <= 1) return n;
    for (let i = 0; i < n; i++) {
      ids[i] = bpe.byteIds[bytes[i] as number] as number;
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    // Heap entries are rank * n + position of the pair's left node: ordered by rank, then leftmost.
    let size = 0;
    const push = (left: number): void => {
      const right = next[left] as number;
      const rank = rankOf.get((ids[left] as number) * width + (ids[right] as number));
      if (rank === undefined) return;
      let i = size++;
      const entry = rank * n + left;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if ((heap[parent] as number) <= entry) break;
        heap[i] = heap[parent] as number;
        i = parent;
      }
      heap[i] = entry;
    };
    const pop = (): number => {
      const top = heap[0] as number;
      const last = heap[--size] as number;
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= size) break;
        if (child + 1 < size && (heap[child + 1] as number) < (heap[child] as number)) child++;
        if ((heap[child] as number) >= last) break;
        heap[i] = heap[child] as number;
        i = child;
      }
      heap[i] = last;
      return top;
    };
    for (let i = 0; i + 1 < n; i++) push(i);
    let count = n;
    while (size > 0) {
      const entry = pop();
      const left = entry % n;
      const rank = (entry - left) / n;
      const right = next[left] as number;
      // Stale: the left node was merged away (ids changed) or its right neighbour changed since the push.
      if (right < 0 || ids[left] === -1) continue;
      if (rankOf.get((ids[left] as number) * width + (ids[right] as number)) !== rank) continue;
      ids[left] = mergedByRank[rank] as number;
      const after = next[right] as number;
      next[left] = after;
      if (after >= 0) prev[after] = left;
      ids[right] = -1;
      count--;
      const before = prev[left] as number;
      if (before >= 0) push(before);
      if (after >= 0) push(left);
    }
    return count;
  };
}

/** The part of a `tokenizer.json` that byte-level BPE needs. */
export interface TokenizerJsonModel {
  model: { vocab: Record<string, number>; merges: ReadonlyArray<string | readonly [string, string]> };
}

/**
 * Spells a `tokenizer.json`'s vocabulary and merges in ids. `byteToUnicode` is GPT-2's byte → character
 * table (`bytesToUnicode()` in `functions/model/tokenizer.ts`), in which byte-level vocabularies are written.
 */
export function byteLevelBpeIds(json: TokenizerJsonModel, byteToUnicode: readonly string[]): ByteLevelBpeIds {
  const { vocab, merges } = json.model;
  const idOf = (token: string): number => {
    const id = vocab[token];
    if (id === undefined) throw new Error(`token ${JSON.stringify(token)} is not in the vocabulary`);
    return id;
  };
  const byteIds = new Int32Array(256);
  for (let b = 0; b < 256; b++) byteIds[b] = idOf(byteToUnicode[b] as string);
  return {
    byteIds,
    merges: merges.map((merge) => {
      const [left, right] = typeof merge === 'string' ? (merge.split(' ') as [string, string]) : merge;
      return [idOf(left), idOf(right), idOf(left + right)] as const;
    }),
  };
}

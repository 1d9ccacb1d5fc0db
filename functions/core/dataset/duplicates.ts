/**
 * Counts examples that repeat an earlier one. Each example is reduced to a 63-bit hash of its normalised
 * content (roles, names, weights and texts, so JSON whitespace, key order and escapes do not matter) and
 * the hashes are kept in an open-addressing table of two Uint32Arrays: 8 bytes a slot, at most 70% full,
 * so 11 to 23 bytes per distinct example (1 M examples: about 16 MB). That is the one part of ingestion
 * whose memory grows with the file; a false duplicate needs a 63-bit collision (~n²/2⁶⁴).
 */
import type { TrainingExample } from '#core/dataset/example.ts';

const INITIAL_SLOTS = 1 << 12;
const MAX_LOAD = 0.7;

/**
 * Two different 32-bit hashes over UTF-16 code units (FNV-1a and the polynomial string hash), fed field
 * by field and avalanched at the end: cheap per character, which matters at a gigabyte a minute.
 */
class ExampleHasher {
  high = 0;
  low = 0;

  reset(): void {
    this.high = 0x811c9dc5;
    this.low = 0x9747b28c;
  }

  update(text: string): void {
    let h = this.high;
    let l = this.low;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      h = Math.imul(h ^ c, 0x01000193);
      l = (Math.imul(l, 31) + c) | 0;
    }
    // A separator that no text contains, so ["ab", "c"] and ["a", "bc"] differ.
    this.high = Math.imul(h ^ 0x1ffff, 0x01000193);
    this.low = Math.imul(l ^ 0x1ffff, 0x5bd1e995) ^ text.length;
  }
}

function finalMix(h: number): number {
  let x = h;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

export class DuplicateCounter {
  private highs = new Uint32Array(INITIAL_SLOTS);
  private lows = new Uint32Array(INITIAL_SLOTS);
  private size = 0;
  private readonly hasher = new ExampleHasher();
  /** Examples seen that equal an earlier example. */
  duplicates = 0;

  /** Records the example; returns true when an equal example was seen before. */
  add(example: TrainingExample): boolean {
    const hasher = this.hasher;
    hasher.reset();
    if (example.format === 'chat') {
      for (const message of example.messages) {
        hasher.update(message.role);
        hasher.update(message.name ?? '\u0000');
        hasher.update(message.weight === undefined ? '' : String(message.weight));
        hasher.update(message.content);
      }
    } else {
      hasher.update(example.prompt);
      hasher.update(example.completion);
    }
    // low is never 0 (the empty-slot mark): that costs one bit of the 64.
    const seen = this.insert(finalMix(hasher.high), (finalMix(hasher.low) | 1) >>> 0);
    if (seen) this.duplicates++;
    return seen;
  }

  /** Distinct examples seen. */
  get distinct(): number {
    return this.size;
  }

  private insert(high: number, low: number): boolean {
    const mask = this.lows.length - 1;
    let slot = (high ^ low) & mask;
    for (;;) {
      const existing = this.lows[slot];
      if (existing === 0) break;
      if (existing === low && this.highs[slot] === high) return true;
      slot = (slot + 1) & mask;
    }
    this.highs[slot] = high;
    this.lows[slot] = low;
    this.size++;
    if (this.size > this.lows.length * MAX_LOAD) this.grow();
    return false;
  }

  private grow(): void {
    const oldHighs = this.highs;
    const oldLows = this.lows;
    this.highs = new Uint32Array(oldHighs.length * 2);
    this.lows = new Uint32Array(oldLows.length * 2);
    this.size = 0;
    for (let i = 0; i < oldLows.length; i++) {
      const low = oldLows[i] as number;
      if (low !== 0) this.insert(oldHighs[i] as number, low);
    }
  }
}

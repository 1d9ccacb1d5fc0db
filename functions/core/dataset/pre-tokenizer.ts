/**
 * GPT-2's pre-tokenizer, hand-written: the split that byte-level BPE tokenizers apply before BPE
 * (`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`, JavaScript's `\s`).
 * BPE never merges across these pieces, so a text's token count is the sum of its pieces' counts, and a
 * piece seen before need not be tokenized again. A scanner over char codes finds the pieces without
 * allocating a string per piece, which the regex cannot; `token-counter.ts` checks at start-up that it
 * agrees with the real tokenizer.
 */

const LETTER = 1;
const NUMBER = 2;
const SPACE = 3;
const OTHER = 4;

function classifyCodePoint(codePoint: number): number {
  const char = String.fromCodePoint(codePoint);
  if (/\s/u.test(char)) return SPACE;
  if (/\p{L}/u.test(char)) return LETTER;
  if (/\p{N}/u.test(char)) return NUMBER;
  return OTHER;
}

const ASCII = new Uint8Array(128);
for (let c = 0; c < 128; c++) ASCII[c] = classifyCodePoint(c);

/** Class of every code point, filled on first sight (0 = not yet classified): 1.1 MB, once per process. */
let classes: Uint8Array | undefined;

function classOfCodePoint(codePoint: number): number {
  classes ??= new Uint8Array(0x110000);
  const known = classes[codePoint] as number;
  if (known !== 0) return known;
  const kind = classifyCodePoint(codePoint);
  classes[codePoint] = kind;
  return kind;
}

/** 2 for a surrogate pair at i, else 1. */
function widthAt(text: string, i: number, n: number, c: number): number {
  if (c < 0xd800 || c > 0xdbff || i + 1 >= n) return 1;
  const low = text.charCodeAt(i + 1);
  return low >= 0xdc00 && low <= 0xdfff ? 2 : 1;
}

/** Class of the (non-ASCII) code point at i whose first code unit is c and width w. */
function classAt(text: string, i: number, c: number, w: number): number {
  if (w === 2) return classOfCodePoint(((c - 0xd800) << 10) + (text.charCodeAt(i + 1) - 0xdc00) + 0x10000);
  if (c >= 0xd800 && c <= 0xdfff) return OTHER; // a lone surrogate is neither letter, number nor space
  return classOfCodePoint(c);
}

/**
 * The two 32-bit hashes of the last piece `pieceEnd` returned (code units, then length), computed while
 * scanning so the piece cache needs no second pass over the characters.
 */
export const lastPieceHash = new Int32Array(2);

const HIGH_SEED = 0x811c9dc5 | 0;

/** Hashes [start, end) from scratch into `lastPieceHash`: the reference the fused scan must equal. */
export function hashRange(text: string, start: number, end: number): void {
  let high = HIGH_SEED;
  let low = 0;
  for (let k = start; k < end; k++) {
    const c = text.charCodeAt(k);
    high = Math.imul(high ^ c, 0x01000193);
    low = Math.imul(low ^ c, 0x5bd1e995);
    low ^= low >>> 15;
  }
  lastPieceHash[0] = high;
  lastPieceHash[1] = Math.imul(low ^ (end - start), 0x5bd1e995);
}

/**
 * End of the run of code points of class `run` that starts at j, hashing every code unit from `start`
 * (the piece's first, whose units before j are hashed here too) into `lastPieceHash`.
 */
function runEnd(text: string, start: number, j0: number, n: number, run: number): number {
  let high = HIGH_SEED;
  let low = 0;
  for (let k = start; k < j0; k++) {
    const c = text.charCodeAt(k);
    high = Math.imul(high ^ c, 0x01000193);
    low = Math.imul(low ^ c, 0x5bd1e995);
    low ^= low >>> 15;
  }
  let j = j0;
  while (j < n) {
    const c = text.charCodeAt(j);
    if (c < 128) {
      if (ASCII[c] !== run) break;
    } else {
      const w = widthAt(text, j, n, c);
      if (classAt(text, j, c, w) !== run) break;
      if (w === 2) {
        high = Math.imul(high ^ c, 0x01000193);
        low = Math.imul(low ^ c, 0x5bd1e995);
        low ^= low >>> 15;
        j++;
        const d = text.charCodeAt(j);
        high = Math.imul(high ^ d, 0x01000193);
        low = Math.imul(low ^ d, 0x5bd1e995);
        low ^= low >>> 15;
        j++;
        continue;
      }
    }
    high = Math.imul(high ^ c, 0x01000193);
    low = Math.imul(low ^ c, 0x5bd1e995);
    low ^= low >>> 15;
    j++;
  }
  lastPieceHash[0] = high;
  lastPieceHash[1] = Math.imul(low ^ (j - start), 0x5bd1e995);
  return j;
}

/** End of `'s 't 're 've 'm 'll 'd` at i (case-sensitive, as GPT-2's regex is), or -1. */
function contractionEnd(text: string, i: number): number {
  const d = text.charCodeAt(i + 1);
  if (d === 0x73 || d === 0x74 || d === 0x6d || d === 0x64) return i + 2; // s t m d
  const e = text.charCodeAt(i + 2);
  if ((d === 0x72 || d === 0x76) && e === 0x65) return i + 3; // re ve
  if (d === 0x6c && e === 0x6c) return i + 3; // ll
  return -1;
}

/**
 * The end of the pre-token that starts at `start` (< text.length); its hashes are left in
 * `lastPieceHash`.
 */
export function pieceEnd(text: string, start: number): number {
  const n = text.length;
  const c = text.charCodeAt(start);
  if (c === 0x27 && start + 1 < n) {
    const end = contractionEnd(text, start);
    if (end > 0) {
      hashRange(text, start, end);
      return end;
    }
  }
  let w = c < 128 ? 1 : widthAt(text, start, n, c);
  let run = c < 128 ? (ASCII[c] as number) : classAt(text, start, c, w);
  let j = start + w;
  if (c === 0x20 && j < n) {
    // ' ?\p{L}+', ' ?\p{N}+', ' ?[^\s\p{L}\p{N}]+': a space joins the word after it.
    const d = text.charCodeAt(j);
    w = d < 128 ? 1 : widthAt(text, j, n, d);
    const next = d < 128 ? (ASCII[d] as number) : classAt(text, j, d, w);
    if (next !== SPACE) {
      run = next;
      j += w;
    }
  }
  if (run !== SPACE) return runEnd(text, start, j, n, run);
  let end = runEnd(text, start, j, n, SPACE);
  // \s+(?!\S): a whitespace run at the end whole; before a non-space, all but its last char (whitespace is BMP).
  if (end < n && end - start > 1) {
    end--;
    hashRange(text, start, end);
  }
  return end;
}

/** Calls `visit` for every pre-token of `text`, in order; the pieces tile the text exactly. */
export function forEachPiece(text: string, visit: (start: number, end: number) => void): void {
  for (let i = 0; i < text.length; ) {
    const end = pieceEnd(text, i);
    visit(i, end);
    i = end;
  }
}

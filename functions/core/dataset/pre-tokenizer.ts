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

/** Class of every code point, filled on first sight (0 = not yet classified): 1.1 MB, once per process. */
let classes: Uint8Array | undefined;

function classifyCodePoint(codePoint: number): number {
  const char = String.fromCodePoint(codePoint);
  if (/\s/u.test(char)) return SPACE;
  if (/\p{L}/u.test(char)) return LETTER;
  if (/\p{N}/u.test(char)) return NUMBER;
  return OTHER;
}

/** The class of a code point, classified on first sight. */
function classOf(table: Uint8Array, codePoint: number): number {
  const known = table[codePoint] as number;
  if (known !== 0) return known;
  const kind = classifyCodePoint(codePoint);
  table[codePoint] = kind;
  return kind;
}

function classTable(): Uint8Array {
  if (classes) return classes;
  classes = new Uint8Array(0x110000);
  for (let c = 0; c < 128; c++) classes[c] = classifyCodePoint(c);
  return classes;
}

/** Receives each piece as a range of the text, with a hash of its code units (for cache look-ups). */
export type PieceVisitor = (text: string, start: number, end: number, hash: number) => void;

/**
 * Calls `visit` for every pre-token of `text`, in order; the pieces tile the text exactly.
 */
export function forEachPiece(text: string, visit: PieceVisitor): void {
  const table = classTable();
  const n = text.length;
  // Class and width (1 or 2 code units) of the code point at i.
  let kind = 0;
  let width = 1;
  const classAt = (i: number): void => {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff || i + 1 >= n) {
      width = 1;
      kind = classOf(table, c);
      return;
    }
    const low = text.charCodeAt(i + 1);
    if (low < 0xdc00 || low > 0xdfff) {
      width = 1;
      kind = OTHER; // a lone surrogate is neither letter, number nor space
      return;
    }
    const cp = ((c - 0xd800) << 10) + (low - 0xdc00) + 0x10000;
    width = 2;
    kind = classOf(table, cp);
  };

  let i = 0;
  while (i < n) {
    const start = i;
    let end = -1;
    const c = text.charCodeAt(i);
    if (c === 0x27 && i + 1 < n) end = contractionEnd(text, i);
    if (end < 0) {
      classAt(i);
      let run = kind;
      let j = i + width;
      if (c === 0x20 && j < n) {
        classAt(j);
        if (kind !== SPACE) {
          run = kind;
          j += width;
        }
      }
      if (run === SPACE) {
        while (j < n) {
          classAt(j);
          if (kind !== SPACE) break;
          j += width;
        }
        // \s+(?!\S): all of a whitespace run at the end; else all but its last char (all whitespace is BMP).
        end = j === n || j - start === 1 ? j : j - 1;
      } else {
        while (j < n) {
          classAt(j);
          if (kind !== run) break;
          j += width;
        }
        end = j;
      }
    }
    let hash = 0x811c9dc5;
    for (let k = start; k < end; k++) hash = Math.imul(hash ^ text.charCodeAt(k), 0x01000193);
    visit(text, start, end, hash);
    i = end;
  }
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

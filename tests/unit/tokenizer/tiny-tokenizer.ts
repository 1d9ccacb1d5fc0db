import { bytesToUnicode, END_OF_TEXT, toTokenizerJson } from '#model/tokenizer.ts';

/**
 * A hand-made byte-level BPE: the 256 bytes (id = byte value), the merges given, then `<|endoftext|>`.
 * Tests mutate its parsed JSON to build the broken files loadTokenizer must reject.
 */
export function tinyTokenizerJson(merges: Array<[string, string]> = [['h', 'e']]): string {
  const vocab = new Map<string, number>();
  for (const [byte, char] of bytesToUnicode().entries()) vocab.set(char, byte);
  for (const [left, right] of merges) vocab.set(left + right, vocab.size);
  const eos = vocab.size;
  vocab.set(END_OF_TEXT, eos);
  return toTokenizerJson({ vocab, merges, specialTokens: new Map([[END_OF_TEXT, eos]]) });
}

/** The tiny tokenizer's JSON as an object, changed by `edit`, back to text. */
export function editedTinyTokenizerJson(edit: (json: Record<string, unknown>) => void): string {
  const json = JSON.parse(tinyTokenizerJson()) as Record<string, unknown>;
  edit(json);
  return JSON.stringify(json);
}

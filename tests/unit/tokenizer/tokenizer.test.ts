import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FormatError } from '#core/errors.ts';
import { ModelInputError } from '#model/errors.ts';
import { bytesToUnicode, loadTokenizer } from '#model/tokenizer.ts';
import { editedTinyTokenizerJson, tinyTokenizerJson } from './tiny-tokenizer.ts';

const gpt2Json = readFileSync(
  new URL('../../fixtures/tokenizer/gpt2-tokenizer.json', import.meta.url),
  'utf8',
);
const gpt2 = loadTokenizer(gpt2Json);

describe('loadTokenizer on GPT-2', () => {
  it('given GPT-2, when encoding "Hello world", then it yields GPT-2 ids 15496 and 995', () => {
    expect(gpt2.encode('Hello world')).toEqual([15496, 995]);
  });

  it('given GPT-2, then the end-of-text id is 50256 and the vocabulary has 50257 ids', () => {
    expect([gpt2.eosTokenId, gpt2.vocabSize]).toEqual([50256, 50257]);
  });

  it('given text with spaces before punctuation, when round-tripped, then no space is cleaned up', () => {
    const text = "Hello , world . It 's  done !\n\tnext";
    expect(gpt2.decode(gpt2.encode(text))).toBe(text);
  });

  it('given a literal <|endoftext|> in the text, when encoding, then it becomes the end-of-text id', () => {
    expect(gpt2.encode('a<|endoftext|>')).toEqual([64, 50256]);
  });

  it('given a literal <|endoftext|> in untrusted text, when encoded as ordinary text, then no special id appears and it decodes back', () => {
    const text = 'Hello <|endoftext|>world<|endoftext|><|endoftext|>';
    const ids = gpt2.encodeOrdinary(text);
    expect(ids).not.toContain(50256);
    expect(gpt2.decode(ids)).toBe(text);
  });

  it('given text without special tokens, when encoded as ordinary text, then the ids equal encode', () => {
    const text = 'The whale, the whale! 42 times.';
    expect(gpt2.encodeOrdinary(text)).toEqual(gpt2.encode(text));
  });

  it('given a tokenizer without special tokens, when encoded as ordinary text, then it is plain encode', () => {
    const json = editedTinyTokenizerJson((j) => {
      for (const token of j.added_tokens as Array<{ special: boolean }>) token.special = false;
    });
    expect(loadTokenizer(json).encodeOrdinary('<|endoftext|>')).toEqual([257]);
  });

  it('given no ids, when decoding, then the text is empty', () => {
    expect(gpt2.decode([])).toBe('');
  });

  it('given an id outside the vocabulary, when decoding, then it throws a ModelInputError naming the id', () => {
    expect(() => gpt2.decode([1, 50257])).toThrow(ModelInputError);
    expect(() => gpt2.decode([-1])).toThrow(/token id -1/);
  });

  it('given a token spelling, when looking it up, then its id comes back, and undefined for none', () => {
    expect(gpt2.tokenToId('Hello')).toBe(15496);
    expect(gpt2.tokenToId('<|endoftext|>')).toBe(50256);
    expect(gpt2.tokenToId('no such token here')).toBeUndefined();
  });
});

describe('bytesToUnicode', () => {
  it('maps the 256 bytes to 256 distinct printable characters, keeping printable ASCII as itself', () => {
    const table = bytesToUnicode();
    expect(new Set(table).size).toBe(256);
    expect([table[0x41], table[0x20], table[0x0a]]).toEqual(['A', 'Ġ', 'Ċ']);
  });
});

describe('loadTokenizer rejects what is not a byte-level BPE tokenizer.json', () => {
  it('given a hand-made tokenizer, when it loads, then its merge applies', () => {
    const tiny = loadTokenizer(tinyTokenizerJson());
    expect(tiny.encode('hex')).toEqual([256, 120]);
    expect([tiny.eosTokenId, tiny.vocabSize]).toEqual([257, 258]);
  });

  it('given a normalizer GPT-2 does not have, when encoding, then the library normalizes the whole text first', () => {
    const json = editedTinyTokenizerJson((j) => {
      j.normalizer = { type: 'Replace', pattern: { String: ' ' }, content: '' };
    });
    expect(loadTokenizer(json).encode('h e')).toEqual([256]);
  });

  it('given text that is not JSON, then it throws FormatError', () => {
    expect(() => loadTokenizer('{"model":')).toThrow(FormatError);
    expect(() => loadTokenizer('{"model":')).toThrow(/not valid JSON/);
  });

  it('given a JSON array, then it throws FormatError', () => {
    expect(() => loadTokenizer('[]')).toThrow(FormatError);
  });

  it('given a WordPiece model, then it throws FormatError naming model.type', () => {
    const json = editedTinyTokenizerJson((j) => {
      (j.model as Record<string, unknown>).type = 'WordPiece';
    });
    expect(() => loadTokenizer(json)).toThrow(/model\.type/);
  });

  it('given a negative id in the vocabulary, then it throws FormatError naming the path', () => {
    const json = editedTinyTokenizerJson((j) => {
      (j.model as { vocab: Record<string, number> }).vocab.A = -3;
    });
    expect(() => loadTokenizer(json)).toThrow(/model\.vocab\.A/);
  });

  it('given two tokens with one id, then it throws FormatError naming both', () => {
    const json = editedTinyTokenizerJson((j) => {
      (j.model as { vocab: Record<string, number> }).vocab.A = 66;
    });
    expect(() => loadTokenizer(json)).toThrow(/id 66 to both/);
  });

  it('given a merge of a token outside the vocabulary, then it throws FormatError naming the merge', () => {
    const json = editedTinyTokenizerJson((j) => {
      (j.model as { merges: string[] }).merges.push('he llo');
    });
    expect(() => loadTokenizer(json)).toThrow(/merge 1 .*outside the vocabulary/);
  });

  it('given a merge without a space, then it throws FormatError', () => {
    const json = editedTinyTokenizerJson((j) => {
      (j.model as { merges: string[] }).merges.push('he');
    });
    expect(() => loadTokenizer(json)).toThrow(FormatError);
  });

  it('given no <|endoftext|> token, then it throws FormatError', () => {
    const json = editedTinyTokenizerJson((j) => {
      j.added_tokens = [];
      delete (j.model as { vocab: Record<string, number> }).vocab['<|endoftext|>'];
    });
    expect(() => loadTokenizer(json)).toThrow(/no <\|endoftext\|> token/);
  });

  it('given an unknown pre-tokenizer, then the library error comes back as FormatError with its cause', () => {
    const json = editedTinyTokenizerJson((j) => {
      j.pre_tokenizer = { type: 'NoSuchPreTokenizer' };
    });
    const error = (() => {
      try {
        loadTokenizer(json);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(FormatError);
    expect((error as FormatError).message).toMatch(/cannot be loaded/);
    expect((error as FormatError).cause).toBeInstanceOf(Error);
  });
});

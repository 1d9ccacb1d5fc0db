import { describe, expect, it } from 'vitest';
import type { TrainingExample } from '#core/dataset/example.ts';
import { DatasetValidator, validateStream } from '#core/dataset/validator.ts';

const encoder = new TextEncoder();

async function* chunks(...parts: Array<string | Uint8Array>): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield typeof part === 'string' ? encoder.encode(part) : part;
}

const chat = (content = 'hi'): string =>
  JSON.stringify({
    messages: [
      { role: 'user', content },
      { role: 'assistant', content: 'hello' },
    ],
  });

/** The single issue that one crafted line (framed by a valid first line) produces. */
async function issueOf(line: string): Promise<{ line: number; code: string }> {
  const result = await validateStream(chunks(`${chat()}\n${line}\n`));
  expect(result.issues).toHaveLength(1);
  const issue = result.issues[0];
  if (!issue) throw new Error('no issue');
  return { line: issue.line, code: issue.code };
}

describe('DatasetValidator: one code per crafted line', () => {
  const cases: Array<[string, string]> = [
    ['data_type', '[1, 2]'],
    ['data_type', '{"messages": [ "hi", {"role": "assistant", "content": "x"} ]}'],
    ['data_type', '{"messages": [{"role": "assistant", "content": "x", "name": 7}]}'],
    ['missing_messages_list', '{"messages": []}'],
    ['missing_messages_list', '{"text": "hello"}'],
    ['message_missing_key', '{"messages": [{"role": "assistant"}]}'],
    ['message_missing_key', '{"messages": [{"content": "x"}]}'],
    ['message_unrecognized_key', '{"messages": [{"role": "assistant", "content": "x", "tool": 1}]}'],
    ['unrecognized_role', '{"messages": [{"role": "function", "content": "x"}]}'],
    ['missing_content', '{"messages": [{"role": "assistant", "content": ""}]}'],
    ['missing_content', '{"messages": [{"role": "assistant", "content": ["x"]}]}'],
    ['example_missing_assistant_message', '{"messages": [{"role": "user", "content": "x"}]}'],
    ['invalid_json', '{"messages": '],
    ['example_unrecognized_key', '{"messages": [{"role": "assistant", "content": "x"}], "extra": 1}'],
    ['invalid_weight', '{"messages": [{"role": "assistant", "content": "x", "weight": 2}]}'],
    ['blank_line', '   '],
    ['mixed_formats', '{"prompt": "a", "completion": "b"}'],
  ];
  for (const [code, line] of cases) {
    it(`given the line ${line}, when validated, then line 2 is reported as ${code}`, async () => {
      expect(await issueOf(line)).toEqual({ line: 2, code });
    });
  }

  it('given bytes that are not UTF-8, when validated, then the line is invalid_utf8', async () => {
    const bad = new Uint8Array([0x7b, 0xff, 0xfe, 0x7d, 0x0a]);
    const result = await validateStream(chunks(`${chat()}\n`, bad));
    expect(result.issues.map((i) => [i.line, i.code])).toEqual([[2, 'invalid_utf8']]);
  });

  it('given a line over the cap, when validated, then it is line_too_long and the next line still counts', async () => {
    const result = await validateStream(chunks(`${chat('x'.repeat(200))}\n${chat()}\n`), {
      maxLineBytes: 100,
    });
    expect(result.issues.map((i) => [i.line, i.code])).toEqual([[1, 'line_too_long']]);
    expect(result.examples).toBe(1);
  });

  it('given a prompt/completion line without completion, when validated, then it is missing_content', async () => {
    const result = await validateStream(chunks('{"prompt": "a"}\n'));
    expect(result.issues.map((i) => i.code)).toEqual(['missing_content']);
  });

  it('given a prompt/completion line with an extra key, when validated, then it is example_unrecognized_key', async () => {
    const result = await validateStream(chunks('{"prompt": "a", "completion": "b", "x": 1}\n'));
    expect(result.issues.map((i) => i.code)).toEqual(['example_unrecognized_key']);
  });
});

describe('DatasetValidator: files', () => {
  it('given valid chat lines with CRLF and no final newline, when validated, then all are examples', async () => {
    const result = await validateStream(chunks(`${chat()}\r\n${chat('a')}\r\n${chat('b')}`));
    expect(result).toEqual({ format: 'chat', lines: 3, examples: 3, invalidLines: 0, issues: [] });
  });

  it('given prompt/completion lines, when validated, then the format is prompt_completion', async () => {
    const result = await validateStream(chunks('{"prompt": "a", "completion": "b"}\n'));
    expect(result.format).toBe('prompt_completion');
    expect(result.examples).toBe(1);
  });

  it('given an empty file, when validated, then it is empty_file on line 0', async () => {
    const result = await validateStream(chunks());
    expect(result.issues).toEqual([{ line: 0, code: 'empty_file', message: expect.any(String) }]);
    expect(result.examples).toBe(0);
  });

  it('given a file whose every line is bad, when validated, then the first 10 are listed and all counted', async () => {
    const lines = Array.from({ length: 25 }, (_, i) => `not json ${i}`).join('\n');
    const result = await validateStream(chunks(lines));
    expect(result.invalidLines).toBe(25);
    expect(result.examples).toBe(0);
    expect(result.issues.map((i) => i.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(result.issues.every((i) => i.code === 'invalid_json')).toBe(true);
  });

  it('given maxIssues 2, when three lines are bad, then two are listed and three counted', async () => {
    const result = await validateStream(chunks('a\nb\nc\n'), { maxIssues: 2 });
    expect(result.issues).toHaveLength(2);
    expect(result.invalidLines).toBe(3);
  });

  it('given an invalid line before valid ones, when validated, then onExample stops being called', async () => {
    const seen: TrainingExample[] = [];
    const validator = new DatasetValidator({ onExample: (example) => seen.push(example) });
    validator.push(encoder.encode(`${chat('one')}\nbad\n${chat('two')}\n`));
    const result = validator.end();
    expect(seen).toHaveLength(1);
    expect(result.examples).toBe(2);
  });

  it('given a valid chat line, when validated, then onExample gets the parsed messages and the text', async () => {
    const calls: Array<[TrainingExample, string]> = [];
    const line = JSON.stringify({
      messages: [
        { role: 'system', content: 's', name: 'n' },
        { role: 'assistant', content: 'a', weight: 0 },
      ],
    });
    await validateStream(chunks(`${line}\n`), { onExample: (e, text) => calls.push([e, text]) });
    expect(calls).toEqual([
      [
        {
          format: 'chat',
          messages: [
            { role: 'system', content: 's', name: 'n' },
            { role: 'assistant', content: 'a', weight: 0 },
          ],
        },
        line,
      ],
    ]);
  });

  it('given a multi-byte character split across chunks, when validated, then the line decodes', async () => {
    const bytes = encoder.encode(`${chat('café ☕')}\n`);
    const cut = bytes.indexOf(0xe2);
    const result = await validateStream(chunks(bytes.subarray(0, cut + 1), bytes.subarray(cut + 1)));
    expect(result.issues).toEqual([]);
    expect(result.examples).toBe(1);
  });
});

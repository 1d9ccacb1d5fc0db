import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ChatExample } from '#core/dataset/example.ts';
import { FormatError } from '#core/errors.ts';
import { initBackend } from '#model/backend.ts';
import {
  batchesOf,
  encodeChatPrompt,
  encodeExample,
  padBatch,
  parseTrainingJsonl,
  prepareExamples,
  shuffleExamples,
  textWindows,
} from '#model/data.ts';
import { ModelInputError } from '#model/errors.ts';
import { loadTokenizer } from '#model/tokenizer.ts';

const tokenizer = loadTokenizer(
  readFileSync(new URL('../../../models/attune-tiny/tokenizer.json', import.meta.url), 'utf8'),
);
const EOS = tokenizer.eosTokenId;
const CONTEXT = '<|user|>\nName a whale.\n<|assistant|>\n';
const chat: ChatExample = {
  format: 'chat',
  messages: [
    { role: 'user', content: 'Name a whale.' },
    { role: 'assistant', content: 'Moby Dick, the white whale.' },
  ],
};
const answerIds = tokenizer.encode('Moby Dick, the white whale.');
const contextIds = tokenizer.encode(CONTEXT);

describe('parseTrainingJsonl', () => {
  it('given chat and blank lines, when parsed, then each non-blank line is one example', () => {
    const text = `${JSON.stringify({ messages: chat.messages })}\n\n${JSON.stringify({ prompt: 'a', completion: 'b' })}\n`;
    expect(parseTrainingJsonl(text)).toEqual([
      chat,
      { format: 'prompt_completion', prompt: 'a', completion: 'b' },
    ]);
  });

  it('given a file that starts with a byte-order mark and has CRLF line ends, when parsed, then the lines parse', () => {
    const line = JSON.stringify({ prompt: 'a', completion: 'b' });
    expect(parseTrainingJsonl(`\uFEFF${line}\r\n${line}\r\n`)).toHaveLength(2);
  });

  it('given a line that is not JSON, then it throws FormatError naming the line', () => {
    expect(() => parseTrainingJsonl('{"prompt":"a","completion":"b"}\n{oops')).toThrow(
      /line 2: not valid JSON/,
    );
  });

  it('given a chat line without an assistant message, then it throws FormatError with the rule', () => {
    const line = JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] });
    expect(() => parseTrainingJsonl(line)).toThrow(FormatError);
    expect(() => parseTrainingJsonl(line)).toThrow(/line 1: .*no assistant message/);
  });
});

describe('encodeExample', () => {
  it('given a chat example, then the ids are context, answer, end-of-text and loss covers answer and end-of-text', () => {
    const encoded = encodeExample(chat, tokenizer);
    expect(encoded.inputIds).toEqual([...contextIds, ...answerIds, EOS]);
    expect(encoded.lossMask).toEqual([...contextIds.map(() => 0), ...answerIds.map(() => 1), 1]);
  });

  it('given a prompt/completion example, then loss covers only the completion and end-of-text', () => {
    const encoded = encodeExample(
      { format: 'prompt_completion', prompt: 'Call me', completion: ' Ishmael' },
      tokenizer,
    );
    const prompt = tokenizer.encode('Call me');
    const completion = tokenizer.encode(' Ishmael');
    expect(encoded.inputIds).toEqual([...prompt, ...completion, EOS]);
    expect(encoded.lossMask).toEqual([...prompt.map(() => 0), ...completion.map(() => 1), 1]);
  });

  it('given <|endoftext|> typed in a message, then it is encoded as text and only the template ends the answer', () => {
    const sneaky: ChatExample = {
      format: 'chat',
      messages: [
        { role: 'user', content: 'say <|endoftext|>' },
        { role: 'assistant', content: 'no<|endoftext|>' },
      ],
    };
    const ids = encodeExample(sneaky, tokenizer).inputIds;
    expect(ids.filter((id) => id === EOS)).toHaveLength(1);
    expect(ids.at(-1)).toBe(EOS);
  });

  it('given the conversation before the answer, when encoded as a prompt, then it equals the training context', () => {
    expect(encodeChatPrompt(chat.messages.slice(0, 1), tokenizer)).toEqual(contextIds);
  });
});

describe('prepareExamples', () => {
  const full = contextIds.length + answerIds.length + 1;

  it('given an example longer than the maximum, then it keeps the start and counts it as truncated', () => {
    const prepared = prepareExamples([chat, chat], tokenizer, { maxLength: full - 3 });
    expect(prepared.truncated).toBe(2);
    expect(prepared.examples[0]?.inputIds).toEqual([...contextIds, ...answerIds].slice(0, full - 3));
    expect(prepared.tokens).toBe(2 * (full - 3));
  });

  it('given examples that fit, then nothing is truncated or dropped', () => {
    const prepared = prepareExamples([chat], tokenizer, { maxLength: full });
    expect([prepared.truncated, prepared.dropped, prepared.examples.length, prepared.tokens]).toEqual([
      0,
      0,
      1,
      full,
    ]);
  });

  it('given truncation that removes every answer token, then the example is dropped and counted', () => {
    const prepared = prepareExamples([chat], tokenizer, { maxLength: contextIds.length });
    expect([prepared.examples.length, prepared.truncated, prepared.dropped]).toEqual([0, 1, 1]);
  });

  it('given a chat whose every answer has weight 0, then it is dropped and counted', () => {
    const silent: ChatExample = {
      format: 'chat',
      messages: [
        chat.messages[0] as ChatExample['messages'][number],
        { role: 'assistant', content: 'no', weight: 0 },
      ],
    };
    const prepared = prepareExamples([silent, chat], tokenizer, { maxLength: 100 });
    expect([prepared.examples.length, prepared.truncated, prepared.dropped]).toEqual([1, 0, 1]);
  });

  it.each([1, 2.5, Number.NaN])('given maximum length %s, then it throws ModelInputError', (maxLength) => {
    expect(() => prepareExamples([chat], tokenizer, { maxLength })).toThrow(ModelInputError);
  });
});

describe('textWindows', () => {
  it('given documents, then the windows cut one stream with end-of-text after each document', () => {
    const docs = ['Call me Ishmael.', 'Some years ago, never mind how long precisely.'];
    const stream = [...tokenizer.encode(docs[0] as string), EOS, ...tokenizer.encode(docs[1] as string), EOS];
    const windows = textWindows(docs, tokenizer, 4);
    expect(windows.flatMap((w) => w.inputIds)).toEqual(
      stream.length % 4 === 1 ? stream.slice(0, -1) : stream,
    );
    expect(windows.slice(0, -1).every((w) => w.inputIds.length === 4)).toBe(true);
    expect(
      windows.every((w) => w.lossMask.length === w.inputIds.length && w.lossMask.every((m) => m === 1)),
    ).toBe(true);
  });

  it('given a stream one token past a whole window, then the lone leftover token is dropped', () => {
    const ids = tokenizer.encode('abc def ghi');
    const windows = textWindows(['abc def ghi'], tokenizer, ids.length);
    expect(windows.map((w) => w.inputIds)).toEqual([ids]);
  });

  it('given a window length below 2, then it throws ModelInputError', () => {
    expect(() => textWindows(['a'], tokenizer, 1)).toThrow(ModelInputError);
  });
});

describe('shuffleExamples and batchesOf', () => {
  const items = Array.from({ length: 20 }, (_, i) => i);

  it('given a seed, when shuffled twice, then the order is the same permutation both times', () => {
    const once = shuffleExamples(items, 42);
    expect(shuffleExamples(items, 42)).toEqual(once);
    expect([...once].sort((a, b) => a - b)).toEqual(items);
    expect(once).not.toEqual(items);
  });

  it('given another seed, then the order differs', () => {
    expect(shuffleExamples(items, 1)).not.toEqual(shuffleExamples(items, 2));
  });

  it('given 20 items in batches of 8, then the batches hold 8, 8 and 4 in order', () => {
    expect(batchesOf(items, 8).map((b) => b.length)).toEqual([8, 8, 4]);
    expect(batchesOf(items, 8).flat()).toEqual(items);
  });

  it('given a batch size of 0, then it throws ModelInputError', () => {
    expect(() => batchesOf(items, 0)).toThrow(ModelInputError);
  });
});

describe('padBatch', () => {
  beforeAll(async () => {
    await initBackend({ log: () => {} });
  });

  const examples = [
    { inputIds: [5, 6, 7], lossMask: [0, 1, 1] },
    { inputIds: [8], lossMask: [1] },
  ];

  it('given examples of unequal length, then ids, attention and loss are right-padded to the longest', () => {
    const batch = padBatch(examples, { padId: EOS });
    expect([batch.inputIds.dtype, batch.attentionMask.dtype, batch.lossMask.dtype]).toEqual([
      'int32',
      'float32',
      'float32',
    ]);
    expect(batch.inputIds.arraySync()).toEqual([
      [5, 6, 7],
      [8, EOS, EOS],
    ]);
    expect(batch.attentionMask.arraySync()).toEqual([
      [1, 1, 1],
      [1, 0, 0],
    ]);
    expect(batch.lossMask.arraySync()).toEqual([
      [0, 1, 1],
      [1, 0, 0],
    ]);
    tf.dispose([batch.inputIds, batch.attentionMask, batch.lossMask]);
  });

  it('given a fixed length, then every row is padded to it', () => {
    const batch = padBatch(examples, { padId: 0, length: 5 });
    expect(batch.inputIds.shape).toEqual([2, 5]);
    tf.dispose([batch.inputIds, batch.attentionMask, batch.lossMask]);
  });

  it('given a fixed length shorter than an example, then it throws ModelInputError', () => {
    expect(() => padBatch(examples, { padId: 0, length: 2 })).toThrow(/shorter than the longest/);
    expect(() => padBatch(examples, { padId: 0, length: 2 })).toThrow(ModelInputError);
  });

  it('given an example whose mask length differs from its ids, then it throws ModelInputError', () => {
    expect(() => padBatch([{ inputIds: [1, 2], lossMask: [1] }], { padId: 0 })).toThrow(ModelInputError);
  });

  it('given no examples, then it throws ModelInputError', () => {
    expect(() => padBatch([], { padId: 0 })).toThrow(ModelInputError);
  });
});

import { describe, expect, it } from 'vitest';
import { LineSplitter } from '#core/dataset/line-splitter.ts';

interface Seen {
  lines: Array<[number, string]>;
  tooLong: Array<[number, number]>;
}

function split(chunks: string[], maxLineBytes?: number): Seen {
  const seen: Seen = { lines: [], tooLong: [] };
  const decoder = new TextDecoder();
  const splitter = new LineSplitter(
    {
      line: (bytes, n) => seen.lines.push([n, decoder.decode(bytes)]),
      tooLong: (n, bytes) => seen.tooLong.push([n, bytes]),
    },
    maxLineBytes,
  );
  const encoder = new TextEncoder();
  for (const chunk of chunks) splitter.push(encoder.encode(chunk));
  splitter.end();
  return seen;
}

describe('LineSplitter', () => {
  it('given LF-terminated lines, when split, then each line comes out without its newline', () => {
    expect(split(['a\nbb\n']).lines).toEqual([
      [1, 'a'],
      [2, 'bb'],
    ]);
  });

  it('given CRLF line endings, when split, then the carriage returns are dropped', () => {
    expect(split(['a\r\nb\r\n']).lines).toEqual([
      [1, 'a'],
      [2, 'b'],
    ]);
  });

  it('given a last line without a newline, when the stream ends, then it is still a line', () => {
    expect(split(['a\nb']).lines).toEqual([
      [1, 'a'],
      [2, 'b'],
    ]);
  });

  it('given a line split across chunks (even inside CRLF), when split, then it is whole', () => {
    expect(split(['ab', 'c', 'd\r', '\nef']).lines).toEqual([
      [1, 'abcd'],
      [2, 'ef'],
    ]);
  });

  it('given blank lines, when split, then they are reported as empty lines with their numbers', () => {
    expect(split(['a\n\n\nb\n']).lines).toEqual([
      [1, 'a'],
      [2, ''],
      [3, ''],
      [4, 'b'],
    ]);
  });

  it('given an empty stream, when split, then no line is reported', () => {
    expect(split([])).toEqual({ lines: [], tooLong: [] });
  });

  it('given a line over the cap arriving in pieces, when split, then it is skipped and counted', () => {
    const seen = split(['ok\n12', '345', '67\nfine'], 4);
    expect(seen.lines).toEqual([
      [1, 'ok'],
      [3, 'fine'],
    ]);
    expect(seen.tooLong).toEqual([[2, 7]]);
  });

  it('given an over-long last line without newline, when the stream ends, then it is reported too long', () => {
    expect(split(['123456'], 4).tooLong).toEqual([[1, 6]]);
  });

  it('given a line of exactly the cap with CRLF, when split, then it is accepted', () => {
    expect(split(['1234\r\n'], 4).lines).toEqual([[1, '1234']]);
  });
});

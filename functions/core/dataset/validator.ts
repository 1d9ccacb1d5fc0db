/**
 * Streaming validation of a JSONL training file: bytes in, in chunks of any size; one line held at a time;
 * every line checked (strict UTF-8, JSON, then the example rules), the first `maxIssues` problems kept
 * with their line numbers and every bad line counted, so a 10 GB file costs the same memory as a 10 kB one.
 */
import { checkExample, type DatasetFormat, isProblem, type TrainingExample } from '#core/dataset/example.ts';
import type { DatasetIssueCode } from '#core/dataset/issue-codes.ts';
import { LineSplitter, MAX_LINE_BYTES } from '#core/dataset/line-splitter.ts';
import type { DatasetIssue } from '#core/files.ts';

/** How many problems a report lists; the rest are only counted. */
export const DEFAULT_MAX_ISSUES = 10;

export interface ValidatorOptions {
  maxIssues?: number;
  maxLineBytes?: number;
  /**
   * Called for each valid example, with the line as decoded text, while the file has had no invalid
   * line: a rejected file is not trained on, so measuring the rest of it would be wasted work.
   */
  onExample?: (example: TrainingExample, line: string) => void;
}

export interface DatasetValidation {
  /** The format of the file's first valid example (the one every other line must share), or null. */
  format: DatasetFormat | null;
  /** Lines seen, blank and invalid ones included. */
  lines: number;
  /** Valid examples. */
  examples: number;
  /** Lines with a problem; `issues` lists the first `maxIssues` of them. */
  invalidLines: number;
  issues: DatasetIssue[];
}

const BLANK = /^[ \t\r\n]*$/;

export class DatasetValidator {
  private readonly splitter: LineSplitter;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private readonly maxIssues: number;
  private readonly maxLineBytes: number;
  private readonly onExample: ValidatorOptions['onExample'];
  private format: DatasetFormat | null = null;
  private examples = 0;
  private invalidLines = 0;
  private readonly issues: DatasetIssue[] = [];

  constructor(options: ValidatorOptions = {}) {
    this.maxIssues = options.maxIssues ?? DEFAULT_MAX_ISSUES;
    this.maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
    this.onExample = options.onExample;
    this.splitter = new LineSplitter(
      {
        line: (bytes, lineNumber) => this.checkLine(bytes, lineNumber),
        tooLong: (lineNumber, bytes) =>
          this.reject(
            lineNumber,
            'line_too_long',
            `The line has ${bytes} bytes; the limit is ${this.maxLineBytes}.`,
          ),
      },
      this.maxLineBytes,
    );
  }

  push(chunk: Uint8Array): void {
    this.splitter.push(chunk);
  }

  /** Ends the stream and returns what was found; an empty stream is an `empty_file`. */
  end(): DatasetValidation {
    this.splitter.end();
    if (this.splitter.lines === 0) this.reject(0, 'empty_file', 'The file is empty: it has no examples.');
    return this.result();
  }

  /**
   * Gives up before the end of the stream (ingestion ran out of time): the unread rest of the file is
   * one more problem, reported on the first line not checked, so the file cannot pass unseen.
   */
  stop(code: DatasetIssueCode, message: string): DatasetValidation {
    this.reject(this.splitter.lines + 1, code, message);
    return this.result();
  }

  private result(): DatasetValidation {
    return {
      format: this.format,
      lines: this.splitter.lines,
      examples: this.examples,
      invalidLines: this.invalidLines,
      issues: this.issues,
    };
  }

  private checkLine(bytes: Uint8Array, lineNumber: number): void {
    let text: string;
    try {
      text = this.decoder.decode(bytes);
    } catch {
      this.reject(lineNumber, 'invalid_utf8', 'The line is not valid UTF-8.');
      return;
    }
    if (BLANK.test(text)) {
      this.reject(lineNumber, 'blank_line', 'The line is blank; every line must hold one JSON example.');
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      this.reject(lineNumber, 'invalid_json', `The line is not valid JSON: ${(error as Error).message}`);
      return;
    }
    const example = checkExample(value);
    if (isProblem(example)) {
      this.reject(lineNumber, example.code, example.message);
      return;
    }
    if (this.format === null) {
      this.format = example.format;
    } else if (example.format !== this.format) {
      this.reject(
        lineNumber,
        'mixed_formats',
        `The example is in ${example.format} format but the file started in ${this.format} format.`,
      );
      return;
    }
    this.examples++;
    if (this.invalidLines === 0) this.onExample?.(example, text);
  }

  private reject(line: number, code: DatasetIssueCode, message: string): void {
    this.invalidLines++;
    if (this.issues.length < this.maxIssues) this.issues.push({ line, code, message: message.slice(0, 300) });
  }
}

/** Validates a whole stream: the convenience the ingestion handler and tests use. */
export async function validateStream(
  source: AsyncIterable<Uint8Array>,
  options: ValidatorOptions = {},
): Promise<DatasetValidation> {
  const validator = new DatasetValidator(options);
  for await (const chunk of source) validator.push(chunk);
  return validator.end();
}

/**
 * Cuts a byte stream into JSONL lines without ever holding more than one line: the pieces of a line that
 * spans chunks are gathered in one carry buffer, and a line past `maxLineBytes` is skipped to its end
 * instead of being buffered, so no file, however large or hostile, grows memory past that cap.
 */

/** Lines longer than this are refused (`line_too_long`); it bounds the carry buffer. */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
/** A carry buffer that grew past this for one long line is dropped afterwards, giving the memory back. */
const RETAINED_CARRY_BYTES = 1024 * 1024;

export interface LineSink {
  /**
   * One line, without its `\n` or `\r\n`. `bytes` may be a view into the caller's chunk or the carry
   * buffer: it is valid only during the call.
   */
  line(bytes: Uint8Array, lineNumber: number): void;
  /** A line longer than the cap; its bytes were skipped, `bytes` says how many there were. */
  tooLong(lineNumber: number, bytes: number): void;
}

/**
 * Line numbers are 1-based. A final line without `\n` is a line; the `\n` that ends the file does not
 * start another one, so `"a\n"` is one line and `"a\n\n"` is two (the second blank).
 */
export class LineSplitter {
  private carry = new Uint8Array(4096);
  private carryLength = 0;
  /** Bytes of the current line seen so far while skipping an over-long line; -1 when not skipping. */
  private skipped = -1;
  private lineNumber = 0;

  constructor(
    private readonly sink: LineSink,
    private readonly maxLineBytes: number = MAX_LINE_BYTES,
  ) {}

  /** Lines seen so far (including over-long ones). */
  get lines(): number {
    return this.lineNumber;
  }

  push(chunk: Uint8Array): void {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start);
      const end = newline === -1 ? chunk.length : newline;
      const length = end - start;
      if (this.skipped >= 0) {
        this.skipped += length;
      } else if (this.carryLength + length > this.maxLineBytes + 1) {
        // +1: a trailing '\r' of a CRLF line at exactly the cap is not part of the line.
        this.skipped = this.carryLength + length;
        this.resetCarry();
      } else if (newline === -1 || this.carryLength > 0) {
        this.append(chunk, start, end);
      }
      if (newline === -1) return;
      this.finishLine(chunk, start, end);
      start = newline + 1;
    }
  }

  /** The end of the stream: a last line without a newline is still a line. */
  end(): void {
    if (this.skipped >= 0 || this.carryLength > 0) this.finishLine(this.carry, 0, 0);
  }

  private finishLine(chunk: Uint8Array, start: number, end: number): void {
    this.lineNumber++;
    if (this.skipped >= 0) {
      const bytes = this.skipped;
      this.skipped = -1;
      this.sink.tooLong(this.lineNumber, bytes);
      return;
    }
    let line = this.carryLength > 0 ? this.carry.subarray(0, this.carryLength) : chunk.subarray(start, end);
    if (line.length > 0 && line[line.length - 1] === CARRIAGE_RETURN)
      line = line.subarray(0, line.length - 1);
    if (line.length > this.maxLineBytes) {
      this.sink.tooLong(this.lineNumber, line.length);
    } else {
      this.sink.line(line, this.lineNumber);
    }
    if (this.carryLength > 0) this.resetCarry();
  }

  private append(chunk: Uint8Array, start: number, end: number): void {
    const needed = this.carryLength + (end - start);
    if (needed > this.carry.length) {
      let size = this.carry.length * 2;
      while (size < needed) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.carry.subarray(0, this.carryLength));
      this.carry = grown;
    }
    this.carry.set(chunk.subarray(start, end), this.carryLength);
    this.carryLength = needed;
  }

  private resetCarry(): void {
    this.carryLength = 0;
    if (this.carry.length > RETAINED_CARRY_BYTES) this.carry = new Uint8Array(4096);
  }
}

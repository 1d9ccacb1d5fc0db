import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { FormatError } from '#core/errors.ts';

/**
 * Reads the files a directory must hold, side by side. When some are missing, the error names the
 * first of them in the order given — not whichever read happened to fail first — so the same broken
 * directory always gets the same message.
 *
 * @param what how the message names the directory, e.g. "model directory"
 */
export async function readRequiredFiles<const Files extends readonly string[]>(
  dir: string,
  files: Files,
  what: string,
): Promise<{ [K in keyof Files]: Buffer }> {
  const reads = await Promise.allSettled(files.map((file) => readFile(path.join(dir, file))));
  const buffers = reads.map((read, i) => {
    if (read.status === 'fulfilled') return read.value;
    throw new FormatError(`${what} ${dir} has no readable ${files[i]}`, { cause: read.reason });
  });
  return buffers as { [K in keyof Files]: Buffer };
}

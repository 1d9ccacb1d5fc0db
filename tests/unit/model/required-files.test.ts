import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FormatError } from '#core/errors.ts';
import { loadModelDir } from '#model/model-dir.ts';
import { readRequiredFiles } from '#model/required-files.ts';
import { loadPeftPrompt } from '#model/soft-prompt.ts';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'attune-required-files-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readRequiredFiles', () => {
  it('given every file present, then the contents come back in the order asked', async () => {
    await writeFile(path.join(dir, 'a.txt'), 'first');
    await writeFile(path.join(dir, 'b.txt'), 'second');
    const [a, b] = await readRequiredFiles(dir, ['a.txt', 'b.txt'], 'test directory');
    expect([a.toString(), b.toString()]).toEqual(['first', 'second']);
  });

  it('given several files missing, then the error names the first in the order asked, on every run', async () => {
    await writeFile(path.join(dir, 'b.txt'), 'present');
    for (let run = 0; run < 20; run += 1) {
      const read = readRequiredFiles(dir, ['c.txt', 'b.txt', 'a.txt'], 'test directory');
      await expect(read).rejects.toThrow(`test directory ${dir} has no readable c.txt`);
    }
  });

  it('given an empty model directory, then the error is a FormatError naming config.json', async () => {
    const load = loadModelDir(dir);
    await expect(load).rejects.toBeInstanceOf(FormatError);
    await expect(loadModelDir(dir)).rejects.toThrow('has no readable config.json');
  });

  it('given an empty adapter directory, then the error names adapter_config.json', async () => {
    await expect(loadPeftPrompt(dir)).rejects.toThrow(
      `prompt adapter directory ${dir} has no readable adapter_config.json`,
    );
  });
});

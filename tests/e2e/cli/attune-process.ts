import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import type { Gpt2Config } from '#core/gpt2-config.ts';
import { trainByteLevelBpe } from '#model/bpe-train.ts';
import { disposeGpt2Weights, initGpt2Weights } from '#model/gpt2.ts';
import { saveModelDir } from '#model/model-dir.ts';
import { loadTokenizer, toTokenizerJson } from '#model/tokenizer.ts';

/** The repository root, where `bin/attune.js` lives. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface AttuneRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Called with each chunk of stderr and the child, e.g. to signal it when a line appears. */
  readonly onStderr?: (text: string, child: ReturnType<typeof spawn>) => void;
}

/** Runs `attune <args>` as a user would (a child process through the package's bin), capturing its output. */
export function runAttune(args: string[], options: RunOptions = {}): Promise<AttuneRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bin/attune.js', ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      options.onStderr?.(stderr, child);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Sentences a tiny model can learn something from in a few steps. */
export const SENTENCES = [
  'the cat sat on the mat',
  'the dog sat on the log',
  'a cat and a dog',
  'sat on a mat',
  'the whale swam in the sea',
];

/** The tiny configuration the CLI tests use (vocab_size is the test tokenizer's): fast in a child process. */
export const TINY_CONFIG: Omit<Gpt2Config, 'vocab_size'> = {
  n_layer: 1,
  n_head: 2,
  n_embd: 16,
  n_positions: 64,
  layer_norm_epsilon: 1e-5,
};

export interface TinyModelOptions {
  readonly config?: Omit<Gpt2Config, 'vocab_size'>;
  /**
   * Scale the random matrices to a trained model's size (std about 0.2, as the training tests' toy base
   * does): at GPT-2's init scale attention is uniform and values vanish, so no soft prompt could steer it.
   */
  readonly trainedScale?: boolean;
}

/** A fresh temporary directory holding a random tiny model directory at `<dir>/model`. */
export async function tinyModelDir(
  prefix: string,
  options: TinyModelOptions = {},
): Promise<{ dir: string; model: string; tokenizerJson: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), `attune-cli-${prefix}-`));
  const tokenizerJson = toTokenizerJson(trainByteLevelBpe(SENTENCES, { vocabSize: 300 }));
  const config = { ...(options.config ?? TINY_CONFIG), vocab_size: loadTokenizer(tokenizerJson).vocabSize };
  const weights = initGpt2Weights(config, 7);
  if (options.trainedScale) {
    for (const [name, v] of weights) {
      if (v.rank === 2) tf.tidy(() => v.assign(tf.mul(v, name.endsWith('c_proj.weight') ? 5 : 10)));
    }
  }
  const model = path.join(dir, 'model');
  await saveModelDir(model, { config, weights, tokenizerJson });
  disposeGpt2Weights(weights);
  return { dir, model, tokenizerJson };
}

/** Writes `lines` as JSONL into `dir/name` and returns its path. */
export async function writeJsonl(dir: string, name: string, lines: unknown[]): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  return file;
}

/**
 * Runs a command function in this process with `console.error` captured: for the argument checks, which
 * need no child process (each one costs seconds of start-up on a loaded machine).
 */
export async function runInProcess(
  command: (args: string[]) => Promise<number>,
  args: string[],
): Promise<{ code: number; stderr: string }> {
  const lines: string[] = [];
  const original = console.error;
  console.error = (...parts: unknown[]) => {
    lines.push(parts.map(String).join(' '));
  };
  try {
    const code = await command(args);
    return { code, stderr: lines.join('\n') };
  } finally {
    console.error = original;
  }
}

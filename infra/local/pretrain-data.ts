import { readFile } from 'node:fs/promises';
import { UsageError } from '#local/cli-args.ts';
import { loadPublicDomainCorpus } from '#local/pretrain-corpus.ts';
import type { AttuneTokenizer } from '#model/tokenizer.ts';
import type { TokenizedExample } from '#model/train-batch.ts';

/**
 * The data side of `attune pretrain`: raw text as one token stream (each document followed by
 * `<|endoftext|>`, as `textWindows` builds it), kept as an Int32Array so a checkpoint can store it and a
 * resumed run need not tokenise the corpus again; the windows cut from it; and how many steps fit a budget.
 */

/** The public-domain corpus (no `file`) or a user's UTF-8 text file, as one token stream. */
export async function loadPretrainText(tokenizer: AttuneTokenizer, file?: string): Promise<Int32Array> {
  let documents: string[];
  if (file === undefined) {
    documents = loadPublicDomainCorpus().map((d) => d.text);
  } else {
    try {
      documents = [await readFile(file, 'utf8')];
    } catch (cause) {
      throw new UsageError(`--text ${file} cannot be read`, { cause });
    }
  }
  const ids: number[] = [];
  for (const document of documents) {
    for (const id of tokenizer.encode(document)) ids.push(id);
    ids.push(tokenizer.eosTokenId);
  }
  return Int32Array.from(ids);
}

/** Consecutive windows of `length` tokens; a last window shorter than 2 tokens predicts nothing and is dropped. */
export function windowsOf(stream: Int32Array, length: number): TokenizedExample[] {
  const windows: TokenizedExample[] = [];
  for (let start = 0; start + 1 < stream.length; start += length) {
    const inputIds = Array.from(stream.subarray(start, start + length));
    windows.push({ inputIds, lossMask: inputIds.map(() => 1) });
  }
  return windows;
}

export interface StepBudget {
  /** A token budget: this many trained tokens (rounded up to whole steps). */
  readonly tokens?: number | undefined;
  /** A time budget: measured throughput and the wall-clock deadline (ms since the epoch). */
  readonly tokensPerSecond?: number | undefined;
  readonly deadline?: number | undefined;
  readonly tokensPerStep: number;
  /** Tokens of one validation pass (forward only: about a third of a training step's cost per token). */
  readonly validationTokens: number;
  readonly now?: number;
}

/** Validation passes a run makes: every quarter of the run, plus possibly the last step. */
const VALIDATIONS = 5;
/** Seconds kept back for writing the model and the record. */
const SAVE_SECONDS = 10;
/** Share of the remaining time planned for: throughput on a shared machine wanders. */
const SAFETY = 0.9;

/** Steps for a token budget, or for the time left before the deadline at the measured throughput. */
export function planSteps(budget: StepBudget): number {
  if (budget.tokens !== undefined) return Math.max(1, Math.ceil(budget.tokens / budget.tokensPerStep));
  const rate = budget.tokensPerSecond;
  if (rate === undefined || budget.deadline === undefined || !(rate > 0)) {
    throw new RangeError('a time budget needs a measured throughput and a deadline');
  }
  const left = (budget.deadline - (budget.now ?? Date.now())) / 1000;
  const stepSeconds = budget.tokensPerStep / rate;
  const validationSeconds = (VALIDATIONS * budget.validationTokens) / (2 * rate);
  const steps = Math.floor((left * SAFETY - validationSeconds - SAVE_SECONDS) / stepSeconds);
  if (steps < 1) {
    throw new UsageError(
      `--minutes leaves no time to train: one step takes about ${stepSeconds.toFixed(1)}s here ` +
        `and ${Math.max(0, left).toFixed(0)}s are left after preparing the data`,
    );
  }
  return steps;
}

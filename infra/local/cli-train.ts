import type { TrainingMethod } from '#core/hyperparameters.ts';
import {
  numberFlag,
  optionalString,
  parseFlags,
  requiredString,
  UsageError,
  withUsageErrors,
} from '#local/cli-args.ts';
import { progressReporter } from '#local/progress.ts';
import { initBackend } from '#model/backend.ts';
import { trainLocally } from '#model/train-local.ts';

/**
 * `attune train`: fine-tunes (`supervised`) or prompt-tunes (`prompt_tuning`; hybrid when `--model` is
 * a fine-tuned directory) on this machine from a chat or prompt/completion JSONL file, with a progress
 * bar on stderr, and writes what the cloud trainer would upload: a model directory or a PEFT adapter.
 * The flags are the API's hyper-parameters under command-line names. The final metrics go to stdout as JSON.
 */

export const TRAIN_USAGE =
  'train --model DIR --data FILE --method supervised|prompt_tuning --out DIR [--validation FILE] ' +
  '[--epochs N] [--batch-size N] [--learning-rate-multiplier X] [--num-virtual-tokens N] ' +
  '[--init RANDOM|SAMPLE_VOCAB|TEXT] [--init-text TEXT] [--seed N]';

const METHODS: readonly TrainingMethod[] = ['supervised', 'prompt_tuning'];

const FLAGS = Object.fromEntries(
  [
    'model',
    'data',
    'method',
    'out',
    'validation',
    'epochs',
    'batch-size',
    'learning-rate-multiplier',
    'num-virtual-tokens',
    'init',
    'init-text',
    'seed',
  ].map((name) => [name, { type: 'string' as const }]),
);

/** `auto` passes through (the API's word); anything else must be a number. */
function autoOrNumber(
  values: Record<string, unknown>,
  flag: string,
  integer: boolean,
): number | 'auto' | undefined {
  if (values[flag] === 'auto') return 'auto';
  return numberFlag(values, flag, { integer });
}

/** The job's `hyperparameters` object, as the API would receive it; the trainer validates the values. */
function hyperparametersFrom(
  values: Record<string, unknown>,
  method: TrainingMethod,
): Record<string, unknown> {
  const promptOnly = ['num-virtual-tokens', 'init', 'init-text'].filter((f) => values[f] !== undefined);
  if (method !== 'prompt_tuning' && promptOnly.length > 0) {
    throw new UsageError(`--${promptOnly[0]} applies only to --method prompt_tuning`);
  }
  const init = optionalString(values, 'init');
  if (init !== undefined && !['RANDOM', 'SAMPLE_VOCAB', 'TEXT'].includes(init)) {
    throw new UsageError(`--init must be RANDOM, SAMPLE_VOCAB or TEXT, got '${init}'`);
  }
  const h: Record<string, unknown> = {
    n_epochs: autoOrNumber(values, 'epochs', true),
    batch_size: autoOrNumber(values, 'batch-size', true),
    learning_rate_multiplier: autoOrNumber(values, 'learning-rate-multiplier', false),
    num_virtual_tokens: numberFlag(values, 'num-virtual-tokens', { integer: true }),
    prompt_tuning_init: init,
    prompt_tuning_init_text: optionalString(values, 'init-text'),
  };
  return Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined));
}

/** Runs the command; 0 when trained, 2 for bad arguments or data, 130 when interrupted (Ctrl-C). */
export function runTrainCommand(args: string[]): Promise<number> {
  return withUsageErrors('train', TRAIN_USAGE, async () => {
    const values = parseFlags(args, FLAGS);
    const modelDir = requiredString(values, 'model');
    const dataPath = requiredString(values, 'data');
    const outDir = requiredString(values, 'out');
    const method = requiredString(values, 'method') as TrainingMethod;
    if (!METHODS.includes(method)) {
      throw new UsageError(`--method must be supervised or prompt_tuning, got '${method}'`);
    }
    const hyperparameters = hyperparametersFrom(values, method);
    const seed = numberFlag(values, 'seed', { integer: true, min: 0 }) ?? 0;
    const validationPath = optionalString(values, 'validation');
    const controller = new AbortController();
    const interrupt = () => controller.abort();
    process.once('SIGINT', interrupt).once('SIGTERM', interrupt);
    const progress = progressReporter();
    try {
      await initBackend();
      const result = await trainLocally({
        modelDir,
        dataPath,
        ...(validationPath ? { validationPath } : {}),
        method,
        outDir,
        hyperparameters,
        seed,
        signal: controller.signal,
        onStep: (m) => progress.update(m),
      });
      progress.finish();
      if (result.status === 'aborted') {
        console.error(`attune train: interrupted at step ${result.metrics.steps}; nothing was written`);
        return 130;
      }
      console.log(JSON.stringify({ out: outDir, files: result.files, ...result.metrics }));
      return 0;
    } finally {
      progress.finish();
      process.off('SIGINT', interrupt).off('SIGTERM', interrupt);
    }
  });
}

import { parseArgs } from 'node:util';
import { AttuneError } from '#core/errors.ts';
import { initBackend } from '#model/backend.ts';
import type { StepMetrics } from '#model/metrics.ts';
import type { TrainingMethod } from '#model/train-hyperparameters.ts';
import { trainLocally } from '#model/train-local.ts';

/**
 * `attune train --model <dir> --data <jsonl> --method supervised|prompt_tuning|pretrain --out <dir>`:
 * trains on this machine with a progress bar on stderr and prints the final metrics as JSON on stdout.
 */

export const TRAIN_USAGE =
  'train --model DIR --data FILE --method supervised|prompt_tuning|pretrain --out DIR ' +
  '[--validation FILE] [--epochs N] [--batch-size N] [--lr-multiplier X] [--virtual-tokens N] ' +
  '[--init RANDOM|SAMPLE_VOCAB|TEXT] [--init-text TEXT] [--seed N]';

const METHODS: readonly TrainingMethod[] = ['supervised', 'prompt_tuning', 'pretrain'];

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** One line of progress: a bar, the step, the losses, the throughput and the time left. */
export function progressLine(m: StepMetrics, width = 24): string {
  const done = Math.round((m.step / m.totalSteps) * width);
  const bar = `${'#'.repeat(done)}${'.'.repeat(width - done)}`;
  const left = m.step > 0 ? (m.elapsedSeconds / m.step) * (m.totalSteps - m.step) : Number.NaN;
  const valid = m.validLoss === undefined ? '' : ` valid ${m.validLoss.toFixed(3)}`;
  return `[${bar}] step ${m.step}/${m.totalSteps} loss ${m.trainLoss.toFixed(3)}${valid} ${Math.round(m.tokensPerSecond)} tok/s ETA ${duration(left)}`;
}

/** A number flag as the API would get it ("auto" stays a string; the hyperparameter check names it). */
function numberOrAuto(value: string | undefined): number | string | undefined {
  if (value === undefined || value === 'auto') return value;
  const n = Number(value);
  return Number.isFinite(n) ? n : value;
}

function hyperparametersFrom(values: Record<string, string | undefined>): Record<string, unknown> {
  const h: Record<string, unknown> = {
    n_epochs: numberOrAuto(values.epochs),
    batch_size: numberOrAuto(values['batch-size']),
    learning_rate_multiplier: numberOrAuto(values['lr-multiplier']),
    num_virtual_tokens: numberOrAuto(values['virtual-tokens']),
    prompt_tuning_init: values.init,
    prompt_tuning_init_text: values['init-text'],
  };
  return Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined));
}

/** Runs the command; returns the process exit code (2 for a usage or input error, 130 when interrupted). */
export async function runTrainCommand(args: string[]): Promise<number> {
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({
      args,
      options: Object.fromEntries(
        ['model', 'data', 'validation', 'method', 'out', 'epochs', 'batch-size', 'lr-multiplier']
          .concat(['virtual-tokens', 'init', 'init-text', 'seed'])
          .map((name) => [name, { type: 'string' as const }]),
      ),
    }).values as Record<string, string | undefined>;
  } catch (error) {
    console.error(`${(error as Error).message}\nUsage: attune ${TRAIN_USAGE}`);
    return 2;
  }
  const { model, data, out } = values;
  const method = values.method as TrainingMethod | undefined;
  if (!model || !data || !out || !method || !METHODS.includes(method)) {
    console.error(`Usage: attune ${TRAIN_USAGE}`);
    return 2;
  }
  const seed = values.seed === undefined ? 0 : Number(values.seed);
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  process.once('SIGINT', interrupt);
  const tty = process.stderr.isTTY === true;
  let lastPrinted = 0;
  try {
    await initBackend();
    const result = await trainLocally({
      modelDir: model,
      dataPath: data,
      ...(values.validation ? { validationPath: values.validation } : {}),
      method,
      outDir: out,
      hyperparameters: hyperparametersFrom(values),
      seed,
      signal: controller.signal,
      onStep: (m) => {
        const now = Date.now();
        if (tty) process.stderr.write(`\r${progressLine(m)}`);
        else if (now - lastPrinted > 5000 || m.step === m.totalSteps) {
          process.stderr.write(`${progressLine(m)}\n`);
          lastPrinted = now;
        }
      },
    });
    if (tty) process.stderr.write('\n');
    console.log(JSON.stringify({ status: result.status, out, files: result.files, ...result.metrics }));
    return result.status === 'completed' ? 0 : 130;
  } catch (error) {
    if (tty) process.stderr.write('\n');
    if (error instanceof AttuneError) {
      console.error(`attune train: ${error.message}`);
      return 2;
    }
    throw error;
  } finally {
    process.off('SIGINT', interrupt);
  }
}

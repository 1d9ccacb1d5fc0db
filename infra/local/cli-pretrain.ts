import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import type { Gpt2Config } from '#core/gpt2-config.ts';
import {
  numberFlag,
  optionalString,
  parseFlags,
  requiredString,
  UsageError,
  withUsageErrors,
} from '#local/cli-args.ts';
import {
  hasCheckpoint,
  type PretrainPlan,
  readSavedRun,
  removeCheckpoint,
  type SavedRun,
  writeRunStart,
  writeState,
} from '#local/pretrain-checkpoint.ts';
import { loadPretrainText, planSteps, windowsOf } from '#local/pretrain-data.ts';
import { progressReporter } from '#local/progress.ts';
import { initBackend } from '#model/backend.ts';
import { parseGpt2Config } from '#model/config.ts';
import { disposeGpt2Weights, type Gpt2Weights, initGpt2Weights } from '#model/gpt2.ts';
import { loadModelDir, saveModelDir } from '#model/model-dir.ts';
import { loadTokenizer } from '#model/tokenizer.ts';
import { trainModel } from '#model/train.ts';
import { seededShuffle, type TokenizedExample } from '#model/train-batch.ts';

/**
 * `attune pretrain`: (continued) pre-training on raw text — the public-domain corpus that made the
 * built-in model, or a user's own text (`--text`) to adapt a model to a glossary or a style before
 * fine-tuning. The run's length is a token count or a wall-clock budget; it checkpoints as it goes and
 * `--resume` continues an interrupted run exactly (same batches, same learning-rate schedule).
 */

export const PRETRAIN_USAGE =
  'pretrain --out DIR (--config JSON|FILE | --n-layer N --n-head N --n-embd N --n-positions N | --model DIR) ' +
  '(--tokens N | --minutes M) [--text FILE] [--tokenizer FILE] [--batch-size N] ' +
  '[--learning-rate-multiplier X] [--seed N] [--validation-windows N] [--checkpoint-every N] [--resume]';

const FLAGS = Object.fromEntries(
  [
    'out',
    'config',
    'n-layer',
    'n-head',
    'n-embd',
    'n-positions',
    'model',
    'tokenizer',
    'tokens',
    'minutes',
    'text',
    'batch-size',
    'learning-rate-multiplier',
    'seed',
    'validation-windows',
    'checkpoint-every',
  ].map((name) => [name, { type: 'string' as const }]),
);

/** The tokenizer the built-in model uses, found from this file so the command works from any directory. */
export const BUILT_IN_TOKENIZER = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../models/attune-tiny/tokenizer.json',
);

async function configFrom(
  values: Record<string, unknown>,
  vocabSize: number,
  eosTokenId: number,
): Promise<Gpt2Config> {
  const raw = optionalString(values, 'config');
  let json: Record<string, unknown> = {};
  if (raw !== undefined) {
    const text = raw.trimStart().startsWith('{') ? raw : await readFile(raw, 'utf8').catch(() => undefined);
    if (text === undefined) throw new UsageError(`--config ${raw} is neither JSON nor a readable file`);
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new UsageError(`--config is not valid JSON`);
    }
  }
  for (const key of ['n_layer', 'n_head', 'n_embd', 'n_positions']) {
    const n = numberFlag(values, key.replace('_', '-'), { integer: true, min: 1 });
    if (n !== undefined) json[key] = n;
  }
  // GPT-2 begins and ends with <|endoftext|>; saying so lets `transformers` generate stop where we do.
  const defaults = {
    layer_norm_epsilon: 1e-5,
    vocab_size: vocabSize,
    bos_token_id: eosTokenId,
    eos_token_id: eosTokenId,
  };
  const config = parseGpt2Config({ ...defaults, ...json });
  if (config.vocab_size < vocabSize) {
    throw new UsageError(
      `config vocab_size ${config.vocab_size} is smaller than the tokenizer's ${vocabSize}`,
    );
  }
  return config;
}

function cloneWeights(weights: Gpt2Weights): Gpt2Weights {
  return new Map([...weights].map(([name, v]) => [name, tf.tidy(() => tf.variable(v.clone(), true))]));
}

/** Training steps timed to convert a time budget into steps. */
const CALIBRATION_STEPS = 5;

/** Tokens/s of a few real training steps on a copy of the weights: what a time budget converts with. */
async function calibrate(config: Gpt2Config, weights: Gpt2Weights, pool: TokenizedExample[], batch: number) {
  const copy = cloneWeights(weights);
  const marks: { tokens: number; seconds: number }[] = [];
  try {
    await trainModel({
      config,
      weights: copy,
      method: 'pretrain',
      train: Array.from(
        { length: CALIBRATION_STEPS * batch },
        (_, i) => pool[i % pool.length] as TokenizedExample,
      ),
      validation: [],
      hyperparameters: { n_epochs: 1, batch_size: batch },
      seed: 0,
      log: () => {},
      onStep: (m) => {
        marks.push({ tokens: m.trainedTokens, seconds: m.elapsedSeconds });
      },
    });
  } finally {
    disposeGpt2Weights(copy);
  }
  // The first step pays for kernel set-up: measure from the end of the second one.
  const first = marks[1] as (typeof marks)[0];
  const last = marks[CALIBRATION_STEPS - 1] as (typeof marks)[0];
  return (last.tokens - first.tokens) / Math.max(1e-6, last.seconds - first.seconds);
}

/** A run ready to train: what a checkpoint holds, plus the weights it starts from. */
type LiveRun = SavedRun & { readonly weights: Gpt2Weights };

async function startRun(
  values: Record<string, unknown>,
  out: string,
  deadline: number | undefined,
): Promise<LiveRun> {
  const modelDir = optionalString(values, 'model');
  const hasShape = ['config', 'n-layer', 'n-head', 'n-embd', 'n-positions'].some(
    (f) => values[f] !== undefined,
  );
  if (modelDir && hasShape)
    throw new UsageError('give either --model (continue a model) or a config, not both');
  if (!modelDir && !hasShape)
    throw new UsageError('give --config (or --n-layer ...) for a new model, or --model DIR');
  const tokens = numberFlag(values, 'tokens', { integer: true, min: 1 });
  const minutes = numberFlag(values, 'minutes', { min: 0.1 });
  if ((tokens === undefined) === (minutes === undefined))
    throw new UsageError('give exactly one of --tokens or --minutes');
  const batchSize = numberFlag(values, 'batch-size', { integer: true, min: 1, max: 256 }) ?? 8;
  const learningRateMultiplier = numberFlag(values, 'learning-rate-multiplier', { min: 1e-6, max: 10 }) ?? 1;
  const seed = numberFlag(values, 'seed', { integer: true, min: 0 }) ?? 0;
  const textFile = optionalString(values, 'text');
  const base = modelDir ? await loadModelDir(modelDir) : undefined;
  const tokenizerJson =
    base?.tokenizerJson ??
    (await readFile(optionalString(values, 'tokenizer') ?? BUILT_IN_TOKENIZER, 'utf8'));
  const tokenizer = loadTokenizer(tokenizerJson);
  const config = base?.config ?? (await configFrom(values, tokenizer.vocabSize, tokenizer.eosTokenId));
  const weights = base?.weights ?? initGpt2Weights(config, seed);
  const stream = await loadPretrainText(tokenizer, textFile);
  const windowLength = config.n_positions + 1;
  const windows = seededShuffle(windowsOf(stream, windowLength), seed);
  const validationWindows =
    numberFlag(values, 'validation-windows', { integer: true, min: 0 }) ??
    (windows.length < 10 ? 0 : Math.min(64, Math.max(1, Math.round(windows.length * 0.02))));
  const pool = windows.slice(validationWindows);
  if (pool.length === 0) throw new UsageError('the text is too short to leave any training window');
  const tokensPerStep = batchSize * config.n_positions;
  const tokensPerSecond =
    minutes === undefined ? undefined : await calibrate(config, weights, pool, batchSize);
  const steps = planSteps({
    tokens,
    tokensPerSecond,
    deadline,
    tokensPerStep,
    validationTokens: validationWindows * config.n_positions,
  });
  const plan: PretrainPlan = {
    version: 1,
    config,
    init: modelDir ? { from: 'model', dir: path.resolve(modelDir) } : { from: 'random' },
    data: textFile ? { source: 'text', file: path.resolve(textFile) } : { source: 'public-domain-corpus' },
    streamTokens: stream.length,
    windowLength,
    batchSize,
    learningRateMultiplier,
    seed,
    validationWindows,
    trainWindows: steps * batchSize,
    totalSteps: steps,
    validateEvery: Math.max(1, Math.ceil(steps / 4)),
    checkpointEvery:
      numberFlag(values, 'checkpoint-every', { integer: true, min: 1 }) ?? Math.max(1, Math.ceil(steps / 20)),
    budget:
      minutes === undefined
        ? { tokens: tokens as number }
        : { minutes, tokensPerSecond: tokensPerSecond as number },
  };
  await writeRunStart(out, plan, stream, tokenizerJson);
  return { plan, stream, tokenizerJson, weights, clock: { wallSeconds: 0 } };
}

async function resumeRun(saved: SavedRun): Promise<LiveRun> {
  const { plan } = saved;
  const weights =
    plan.init.from === 'model'
      ? (await loadModelDir(plan.init.dir)).weights
      : initGpt2Weights(plan.config, plan.seed);
  return { ...saved, weights };
}

/** Runs the command; 0 done (or stopped at the time budget with a model written), 2 bad input, 130 interrupted. */
export function runPretrainCommand(args: string[]): Promise<number> {
  return withUsageErrors('pretrain', PRETRAIN_USAGE, async () => {
    const values = parseFlags(args, { ...FLAGS, resume: { type: 'boolean' } });
    const out = requiredString(values, 'out');
    const started = Date.now();
    const minutes = numberFlag(values, 'minutes', { min: 0.1 });
    const deadline = minutes === undefined ? undefined : started + minutes * 60_000;
    const resuming = values.resume === true;
    const exists = await hasCheckpoint(out);
    if (resuming && !exists) throw new UsageError(`--resume: ${out} holds no checkpoint to resume`);
    if (!resuming && exists)
      throw new UsageError(`${out} holds an unfinished run: pass --resume, or choose another --out`);
    const backend = await initBackend();
    const run = resuming ? await resumeRun(await readSavedRun(out)) : await startRun(values, out, deadline);
    const { plan, tokenizerJson, weights } = run;
    const windows = seededShuffle(windowsOf(run.stream, plan.windowLength), plan.seed);
    const validation = windows.slice(0, plan.validationWindows);
    const pool = windows.slice(plan.validationWindows);
    const train = Array.from(
      { length: plan.trainWindows },
      (_, i) => pool[i % pool.length] as TokenizedExample,
    );
    const controller = new AbortController();
    const stop = (reason: string) => () => controller.abort(reason);
    const onSignal = stop('signal');
    process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
    const timer =
      deadline === undefined ? undefined : setTimeout(stop('deadline'), Math.max(0, deadline - Date.now()));
    const wall = () => run.clock.wallSeconds + (Date.now() - started) / 1000;
    const progress = progressReporter();
    let lastValid: { step: number; loss: number; accuracy: number } | undefined;
    try {
      const result = await trainModel({
        config: plan.config,
        weights,
        method: 'pretrain',
        train,
        validation,
        hyperparameters: {
          n_epochs: 1,
          batch_size: plan.batchSize,
          learning_rate_multiplier: plan.learningRateMultiplier,
        },
        seed: plan.seed,
        validateEvery: plan.validateEvery,
        checkpointEvery: plan.checkpointEvery,
        signal: controller.signal,
        ...(run.state ? { resumeFrom: run.state } : {}),
        onStep: (m) => {
          progress.update(m);
          if (m.validLoss !== undefined)
            lastValid = { step: m.step, loss: m.validLoss, accuracy: m.validTokenAccuracy ?? 0 };
        },
        onCheckpoint: async (state) => {
          await writeState(out, state, { wallSeconds: wall() });
          if (!process.stderr.isTTY) console.error(`attune pretrain: checkpoint at step ${state.step}`);
        },
      });
      progress.finish();
      const interrupted = result.status === 'aborted' && controller.signal.reason !== 'deadline';
      if (interrupted) {
        console.error(
          `attune pretrain: interrupted at step ${result.metrics.steps}; continue with --resume --out ${out}`,
        );
        return 130;
      }
      await saveModelDir(out, { config: plan.config, weights, tokenizerJson });
      const m = result.metrics;
      const wallSeconds = wall();
      const record = {
        status: result.status === 'completed' ? 'completed' : 'stopped_at_time_budget',
        command: `attune pretrain ${args.join(' ')}`,
        plan,
        steps: m.steps,
        tokens_seen: m.trainedTokens,
        train_loss_last_10_steps: m.trainLoss,
        valid_loss: lastValid?.loss ?? null,
        valid_token_accuracy: lastValid?.accuracy ?? null,
        valid_measured_at_step: lastValid?.step ?? null,
        // Over the whole run, every --resume included; the last process's own speed beside it.
        tokens_per_second: wallSeconds > 0 ? m.trainedTokens / wallSeconds : null,
        last_session_tokens_per_second: m.tokensPerSecond,
        wall_seconds: wallSeconds,
        machine: {
          cpus: os.cpus().length,
          cpu: os.cpus()[0]?.model ?? 'unknown',
          load_average_1m: os.loadavg()[0],
          backend,
        },
      };
      await writeFile(path.join(out, 'attune_pretraining.json'), `${JSON.stringify(record, null, 2)}\n`);
      if (result.status === 'completed') await removeCheckpoint(out);
      else
        console.error(
          `attune pretrain: stopped at the time budget at step ${m.steps}/${plan.totalSteps}; --resume continues`,
        );
      console.log(JSON.stringify(record));
      return 0;
    } finally {
      progress.finish();
      if (timer) clearTimeout(timer);
      process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
      disposeGpt2Weights(weights);
    }
  });
}

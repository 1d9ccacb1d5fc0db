import * as tf from '@tensorflow/tfjs';
import type { Gpt2Config } from '#core/gpt2-config.ts';
import {
  DEFAULT_VIRTUAL_TOKENS,
  type Hyperparameters,
  parseHyperparameters,
  type TrainingMethod,
} from '#core/hyperparameters.ts';
import { ModelInputError } from '#model/errors.ts';
import type { Gpt2Weights } from '#model/gpt2.ts';
import { RecentMean, type StepMetrics, ThroughputMeter, type TrainingMetrics } from '#model/metrics.ts';
import { AdamW } from '#model/optimizer.ts';
import { defaultWarmupSteps, type LearningRateSchedule, learningRateAt } from '#model/schedule.ts';
import { initSoftPrompt } from '#model/soft-prompt.ts';
import {
  disposeTrainBatch,
  epochOrder,
  fitToContext,
  holdOutValidation,
  makeTrainBatch,
  type TokenizedExample,
} from '#model/train-batch.ts';
import { type ResolvedHyperparameters, resolveHyperparameters } from '#model/train-hyperparameters.ts';
import { restoreTrainingState, snapshotTrainingState, type TrainingState } from '#model/train-state.ts';
import { evaluate, lossAndGradients, type ModelUnderTraining } from '#model/train-step.ts';

/**
 * The training loop shared by every way Attune adapts a model:
 * - `supervised` (full fine-tuning): every weight is handed to AdamW;
 * - `prompt_tuning`: only the soft prompt is; the weights are never given to the optimiser, so they
 *   cannot change. Hybrid is the same call over a fine-tuned model's weights;
 * - `pretrain` (continued pre-training on raw-text windows): like `supervised`, loss on every token.
 */

export interface TrainModelOptions {
  readonly config: Gpt2Config;
  readonly weights: Gpt2Weights;
  readonly method: TrainingMethod;
  readonly train: readonly TokenizedExample[];
  /** Held-out examples; when absent, {@link TrainModelOptions.validationFraction} of `train` is held out. */
  readonly validation?: readonly TokenizedExample[];
  /** The job's `hyperparameters` object (OpenAI/PEFT names), validated here. */
  readonly hyperparameters: unknown;
  /** Seeds the data order, the held-out split and the soft prompt's initialisation. */
  readonly seed: number;
  /**
   * Prompt tuning: start from this soft prompt `[num_virtual_tokens, n_embd]` (a tuned prompt to tune
   * further) instead of initialising one; it is copied, the caller keeps ownership of it.
   */
  readonly initialPrompt?: tf.Tensor2D;
  /** Token ids of `prompt_tuning_init_text`, needed for `TEXT` initialisation. */
  readonly promptInitTextIds?: readonly number[];
  readonly validationFraction?: number;
  /** Validate every this many steps (and always after the last); default once per epoch. */
  readonly validateEvery?: number;
  /** Call `onCheckpoint` every this many steps (and always on abort); default never. */
  readonly checkpointEvery?: number;
  readonly onStep?: (metrics: StepMetrics) => void | Promise<void>;
  /** Receives the full training state; awaited, so the trainer can upload it before going on. */
  readonly onCheckpoint?: (state: TrainingState) => void | Promise<void>;
  /** Stops after the current step, checkpoints, and returns with status `aborted`. */
  readonly signal?: AbortSignal;
  /** A state from `onCheckpoint` of an earlier process of the same job: continue from there. */
  readonly resumeFrom?: TrainingState;
  /** Where the one-line JSON log of the resolved hyperparameters goes; default stderr. */
  readonly log?: (line: string) => void;
}

export interface TrainModelResult {
  readonly status: 'completed' | 'aborted';
  readonly metrics: TrainingMetrics;
  readonly hyperparameters: ResolvedHyperparameters;
  /** The trained soft prompt `[num_virtual_tokens, n_embd]` (prompt tuning only); the caller owns it. */
  readonly prompt?: tf.Variable<tf.Rank.R2>;
}

interface Plan {
  readonly hyperparameters: ResolvedHyperparameters;
  readonly train: TokenizedExample[];
  readonly validation: TokenizedExample[];
  readonly truncated: number;
  readonly stepsPerEpoch: number;
  readonly schedule: LearningRateSchedule;
}

function checkIds(examples: readonly TokenizedExample[], vocabSize: number): void {
  for (const e of examples) {
    for (const id of e.inputIds) {
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
        throw new ModelInputError(`token id ${id} is outside the vocabulary of ${vocabSize}`);
      }
    }
  }
}

function plan(options: TrainModelOptions): Plan {
  const { config, method, seed } = options;
  if (!Number.isInteger(seed) || seed < 0) throw new ModelInputError(`seed must be a non-negative integer`);
  const parsed: Hyperparameters = parseHyperparameters(method, options.hyperparameters);
  const virtual = method === 'prompt_tuning' ? (parsed.num_virtual_tokens ?? DEFAULT_VIRTUAL_TOKENS) : 0;
  if (virtual >= config.n_positions - 1) {
    throw new ModelInputError(
      `num_virtual_tokens ${virtual} leaves no room in a context of ${config.n_positions}`,
      { param: 'hyperparameters.num_virtual_tokens' },
    );
  }
  const split = options.validation
    ? { train: [...options.train], validation: [...options.validation] }
    : holdOutValidation(options.train, options.validationFraction ?? 0.1, seed);
  if (split.train.length === 0)
    throw new ModelInputError('there are no training examples', { param: 'training_file' });
  // An example of L tokens feeds L-1 inputs: the context holds n_positions - P inputs, plus one target.
  const room = config.n_positions - virtual + 1;
  const train = fitToContext(split.train, room);
  const validation = fitToContext(split.validation, room);
  checkIds(train.examples, config.vocab_size);
  checkIds(validation.examples, config.vocab_size);
  const hyperparameters = resolveHyperparameters(method, parsed, train.examples.length);
  const stepsPerEpoch = Math.ceil(train.examples.length / hyperparameters.batch_size);
  const totalSteps = stepsPerEpoch * hyperparameters.n_epochs;
  return {
    hyperparameters,
    train: train.examples,
    validation: validation.examples,
    truncated: train.truncated + validation.truncated,
    stepsPerEpoch,
    schedule: {
      peak: hyperparameters.learning_rate,
      warmupSteps: defaultWarmupSteps(totalSteps),
      totalSteps,
      decay: 'cosine',
      floorRatio: 0.1,
    },
  };
}

function trainedTensors(
  options: TrainModelOptions,
  p: Plan,
): { model: ModelUnderTraining; trained: Map<string, tf.Variable> } {
  const { config, weights } = options;
  if (options.method !== 'prompt_tuning') {
    return { model: { config, weights }, trained: new Map(weights) };
  }
  const h = p.hyperparameters;
  const initial = options.initialPrompt;
  if (initial && (initial.shape[0] !== h.num_virtual_tokens || initial.shape[1] !== config.n_embd)) {
    throw new ModelInputError(
      `initial prompt [${initial.shape}] is not [num_virtual_tokens ${h.num_virtual_tokens}, n_embd ${config.n_embd}]`,
    );
  }
  // A variable shares the tensor's data until its first assign, which swaps in new data: no copy needed.
  const prompt = initial
    ? tf.variable(initial, true)
    : initSoftPrompt({
        init: h.prompt_tuning_init ?? 'SAMPLE_VOCAB',
        numVirtualTokens: h.num_virtual_tokens ?? DEFAULT_VIRTUAL_TOKENS,
        weights,
        config,
        ...(options.promptInitTextIds ? { initTextIds: [...options.promptInitTextIds] } : {}),
        seed: options.seed,
      });
  return { model: { config, weights, prompt }, trained: new Map([['prompt_embeddings', prompt]]) };
}

const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Trains per `options`; see {@link TrainModelOptions}. Resolves when done or aborted. */
export async function trainModel(options: TrainModelOptions): Promise<TrainModelResult> {
  const p = plan(options);
  const { method, seed } = options;
  const lossOnEveryToken = method === 'pretrain';
  const { model, trained } = trainedTensors(options, p);
  const h = p.hyperparameters;
  const optimizer = new AdamW(trained, { weightDecay: h.weight_decay, maxGradNorm: 1 });
  const totalSteps = p.schedule.totalSteps;
  let step = 0;
  let trainedTokens = 0;
  const run = () => ({ method, seed, step, totalSteps, trainedTokens, params: trained, optimizer });
  try {
    if (options.resumeFrom) {
      restoreTrainingState(options.resumeFrom, run());
      step = options.resumeFrom.step;
      trainedTokens = options.resumeFrom.trainedTokens;
    }
    (options.log ?? ((line: string) => process.stderr.write(`${line}\n`)))(
      JSON.stringify({
        event: 'hyperparameters',
        ...h,
        seed,
        train_examples: p.train.length,
        validation_examples: p.validation.length,
        total_steps: totalSteps,
        warmup_steps: p.schedule.warmupSteps,
        resumed_at_step: step,
      }),
    );
    const started = performance.now();
    const meter = new ThroughputMeter();
    const recent = new RecentMean();
    const validateEvery = options.validateEvery ?? p.stepsPerEpoch;
    let lastValidation: ReturnType<typeof evaluate> = null;
    let order: number[] = [];
    let orderEpoch = -1;
    while (step < totalSteps) {
      if (options.signal?.aborted) {
        await options.onCheckpoint?.(snapshotTrainingState(run()));
        return finish('aborted');
      }
      const epoch = Math.floor(step / p.stepsPerEpoch);
      if (epoch !== orderEpoch) {
        order = epochOrder(p.train.length, seed, epoch);
        orderEpoch = epoch;
      }
      const first = (step % p.stepsPerEpoch) * h.batch_size;
      const examples = order.slice(first, first + h.batch_size).map((i) => p.train[i] as TokenizedExample);
      const batch = makeTrainBatch(examples, lossOnEveryToken);
      const t0 = performance.now();
      const learningRate = learningRateAt(p.schedule, step);
      let loss: number;
      let gradNorm: number;
      try {
        const result = lossAndGradients(model, batch, trained);
        loss = result.loss;
        gradNorm = optimizer.applyGradients(result.grads, learningRate).gradNorm;
      } finally {
        disposeTrainBatch(batch);
      }
      meter.record(batch.tokens, (performance.now() - t0) / 1000);
      step += 1;
      trainedTokens += batch.tokens;
      recent.push(loss);
      const validates = p.validation.length > 0 && (step % validateEvery === 0 || step === totalSteps);
      if (validates) lastValidation = evaluate(model, p.validation, h.batch_size, lossOnEveryToken);
      await options.onStep?.({
        step,
        totalSteps,
        epoch,
        trainLoss: loss,
        learningRate,
        gradNorm,
        trainedTokens,
        tokensPerSecond: meter.tokensPerSecond,
        elapsedSeconds: (performance.now() - started) / 1000,
        ...(validates && lastValidation
          ? {
              validLoss: lastValidation.loss,
              validTokenAccuracy: lastValidation.accuracy.correct / lastValidation.accuracy.total,
            }
          : {}),
      });
      if (options.checkpointEvery && step % options.checkpointEvery === 0 && step < totalSteps) {
        await options.onCheckpoint?.(snapshotTrainingState(run()));
      }
      await nextTick();
    }
    return finish('completed');

    function finish(status: TrainModelResult['status']): TrainModelResult {
      const v = lastValidation;
      return {
        status,
        hyperparameters: h,
        ...(model.prompt ? { prompt: model.prompt } : {}),
        metrics: {
          steps: step,
          trainedTokens,
          tokensPerSecond: meter.tokensPerSecond,
          elapsedSeconds: (performance.now() - started) / 1000,
          trainLoss: recent.mean,
          validLoss: v ? v.loss : null,
          validTokenAccuracy: v ? v.accuracy.correct / v.accuracy.total : null,
          truncatedExamples: p.truncated,
        },
      };
    }
  } catch (error) {
    model.prompt?.dispose();
    throw error;
  } finally {
    optimizer.dispose();
  }
}

import {
  autoBatchSize,
  autoEpochs,
  DEFAULT_VIRTUAL_TOKENS,
  type Hyperparameters,
  type PromptTuningInit,
  type TrainingMethod,
} from '#core/hyperparameters.ts';

/**
 * What the trainer makes of a job's validated hyper-parameters (`#core/hyperparameters.ts`): the AdamW
 * learning rate and weight decay per method, and every `"auto"` resolved to the number a run uses.
 */

/**
 * Peak learning rate at `learning_rate_multiplier` 1, per method, for AdamW:
 * - `supervised` 1e-4: the usual full fine-tuning rate for GPT-2-sized models (HF's run_clm examples use
 *   5e-5 to 1e-4); a small model tolerates the upper end.
 * - `prompt_tuning` 3e-2: the soft prompt needs a rate hundreds of times larger (Lester et al. 2021 use
 *   0.3, but with Adafactor on T5, whose embeddings are an order of magnitude larger than GPT-2's; PEFT's
 *   causal-LM prompt-tuning example uses 3e-2 with AdamW, which is what this trainer runs).
 * - `pretrain` 6e-4: GPT-3 Small's peak rate (Brown et al. 2020, table 2.1) for training from scratch.
 */
export const BASE_LEARNING_RATE: Readonly<Record<TrainingMethod, number>> = {
  supervised: 1e-4,
  prompt_tuning: 3e-2,
  pretrain: 6e-4,
};

/** Decoupled weight decay per method: torch's AdamW default for weights, none for a soft prompt. */
export const WEIGHT_DECAY: Readonly<Record<TrainingMethod, number>> = {
  supervised: 0.01,
  prompt_tuning: 0,
  pretrain: 0.01,
};

/** Every hyper-parameter with "auto" replaced by a number: what the run actually used, for the log. */
export interface ResolvedHyperparameters {
  readonly method: TrainingMethod;
  readonly n_epochs: number;
  readonly batch_size: number;
  readonly learning_rate_multiplier: number;
  readonly learning_rate: number;
  readonly weight_decay: number;
  readonly num_virtual_tokens?: number;
  readonly prompt_tuning_init?: PromptTuningInit;
  readonly prompt_tuning_init_text?: string;
}

/** Resolves every "auto" for a run of `method` over `trainExamples` examples. */
export function resolveHyperparameters(
  method: TrainingMethod,
  hyperparameters: Hyperparameters,
  trainExamples: number,
): ResolvedHyperparameters {
  const multiplier =
    hyperparameters.learning_rate_multiplier === 'auto' ? 1 : hyperparameters.learning_rate_multiplier;
  const resolved: ResolvedHyperparameters = {
    method,
    n_epochs: hyperparameters.n_epochs === 'auto' ? autoEpochs(trainExamples) : hyperparameters.n_epochs,
    batch_size:
      hyperparameters.batch_size === 'auto' ? autoBatchSize(trainExamples) : hyperparameters.batch_size,
    learning_rate_multiplier: multiplier,
    learning_rate: BASE_LEARNING_RATE[method] * multiplier,
    weight_decay: WEIGHT_DECAY[method],
  };
  if (method !== 'prompt_tuning') return resolved;
  return {
    ...resolved,
    num_virtual_tokens: hyperparameters.num_virtual_tokens ?? DEFAULT_VIRTUAL_TOKENS,
    prompt_tuning_init: hyperparameters.prompt_tuning_init ?? 'SAMPLE_VOCAB',
    ...(hyperparameters.prompt_tuning_init_text === undefined
      ? {}
      : { prompt_tuning_init_text: hyperparameters.prompt_tuning_init_text }),
  };
}

import { z } from 'zod';
import { ValidationError } from '#core/errors.ts';
import type { PromptTuningInit } from '#model/soft-prompt.ts';

/**
 * Training hyper-parameters under OpenAI's names (`n_epochs`, `batch_size`, `learning_rate_multiplier`,
 * each `"auto"` or a number) so existing clients work, plus PEFT's names for prompt tuning
 * (`num_virtual_tokens`, `prompt_tuning_init`, `prompt_tuning_init_text`), and how `"auto"` resolves.
 */

/** `supervised` = full fine-tuning; `prompt_tuning` (also hybrid, over a fine-tuned model); `pretrain` = raw text. */
export type TrainingMethod = 'supervised' | 'prompt_tuning' | 'pretrain';

const auto = z.literal('auto');

/** OpenAI's bounds for the shared fields; a multiplier above 10 only ever diverges. */
const sharedFields = {
  n_epochs: z.union([auto, z.number().int().min(1).max(50)]).default('auto'),
  batch_size: z.union([auto, z.number().int().min(1).max(256)]).default('auto'),
  learning_rate_multiplier: z.union([auto, z.number().positive().max(10)]).default('auto'),
};

const fullSchema = z.strictObject(sharedFields);

const promptSchema = z
  .strictObject({
    ...sharedFields,
    num_virtual_tokens: z.number().int().min(1).max(512).default(20),
    prompt_tuning_init: z.enum(['RANDOM', 'SAMPLE_VOCAB', 'TEXT']).default('SAMPLE_VOCAB'),
    prompt_tuning_init_text: z.string().min(1).optional(),
  })
  .superRefine((h, ctx) => {
    if (h.prompt_tuning_init === 'TEXT' && h.prompt_tuning_init_text === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['prompt_tuning_init_text'],
        message: 'is required when prompt_tuning_init is "TEXT"',
      });
    }
    if (h.prompt_tuning_init !== 'TEXT' && h.prompt_tuning_init_text !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['prompt_tuning_init_text'],
        message: 'is only used when prompt_tuning_init is "TEXT"',
      });
    }
  });

export type Hyperparameters = z.output<typeof fullSchema> & {
  num_virtual_tokens?: number;
  prompt_tuning_init?: PromptTuningInit;
  prompt_tuning_init_text?: string;
};

/**
 * Validates the `hyperparameters` object of a job for `method`. Unknown keys are rejected (a typo would
 * otherwise silently train with a default); the ValidationError's `param` names the offending field as
 * `hyperparameters.<field>`, the way OpenAI reports it.
 */
export function parseHyperparameters(method: TrainingMethod, json: unknown): Hyperparameters {
  const schema = method === 'prompt_tuning' ? promptSchema : fullSchema;
  const result = schema.safeParse(json ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const key =
    issue?.code === 'unrecognized_keys' ? (issue.keys[0] ?? '') : (issue?.path.map(String).join('.') ?? '');
  const param = key ? `hyperparameters.${key}` : 'hyperparameters';
  const problems = result.error.issues.map((i) => {
    const where = i.code === 'unrecognized_keys' ? i.keys.join(', ') : i.path.join('.') || '(root)';
    return `${where}: ${i.message}`;
  });
  throw new ValidationError(`invalid ${param} for ${method}: ${problems.join('; ')}`, {
    param,
    cause: result.error,
  });
}

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

/**
 * `"auto"` epochs follow OpenAI's published rule (the cookbook's chat fine-tuning data-preparation
 * notebook): 3 epochs, raised so a small set is seen about 100 times in all (at most 25 epochs), lowered
 * so a large one is seen at most 25,000 times (at least 1 epoch).
 */
export function autoEpochs(trainExamples: number): number {
  if (trainExamples * 3 < 100) return Math.min(25, Math.floor(100 / Math.max(1, trainExamples)));
  if (trainExamples * 3 > 25_000) return Math.max(1, Math.floor(25_000 / trainExamples));
  return 3;
}

/**
 * `"auto"` batch size follows OpenAI's documented rule, about 0.2% of the training examples, but capped
 * at 32 rather than 256: our trainers are CPUs and single small GPUs without gradient accumulation.
 */
export function autoBatchSize(trainExamples: number): number {
  return Math.min(32, Math.max(1, Math.ceil(trainExamples * 0.002)));
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
    num_virtual_tokens: hyperparameters.num_virtual_tokens ?? 20,
    prompt_tuning_init: hyperparameters.prompt_tuning_init ?? 'SAMPLE_VOCAB',
    ...(hyperparameters.prompt_tuning_init_text === undefined
      ? {}
      : { prompt_tuning_init_text: hyperparameters.prompt_tuning_init_text }),
  };
}

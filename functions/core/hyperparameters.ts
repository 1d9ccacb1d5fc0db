import { z } from 'zod';
import { ValidationError } from '#core/errors.ts';

/**
 * Training hyper-parameters under OpenAI's names (`n_epochs`, `batch_size`, `learning_rate_multiplier`,
 * each `"auto"` or a number) so existing clients work, plus PEFT's names for prompt tuning
 * (`num_virtual_tokens`, `prompt_tuning_init`, `prompt_tuning_init_text`), and how `"auto"` epochs and
 * batch size resolve. They are domain rules: the API validates a job with them, the estimator prices the
 * run they imply, and the trainer (`functions/model/train-hyperparameters.ts`) runs what they accepted.
 */

/** `supervised` = full fine-tuning; `prompt_tuning` (also hybrid, over a fine-tuned model); `pretrain` = raw text. */
export type TrainingMethod = 'supervised' | 'prompt_tuning' | 'pretrain';

/** PEFT's initialisations of a soft prompt (`PromptTuningInit` in `peft`). */
export const PROMPT_TUNING_INITS = ['RANDOM', 'SAMPLE_VOCAB', 'TEXT'] as const;

export type PromptTuningInit = (typeof PROMPT_TUNING_INITS)[number];

const auto = z.literal('auto');

/** The soft prompt's length when a request does not say (PEFT's examples use 20 too). */
export const DEFAULT_VIRTUAL_TOKENS = 20;

/**
 * OpenAI's bounds for the fields every method shares; a multiplier above 10 only ever diverges. The
 * estimates API describes a run with these same fields, so an estimate and its job accept the same values.
 */
export const SHARED_HYPERPARAMETER_FIELDS = {
  n_epochs: z.union([auto, z.number().int().min(1).max(50)]).default('auto'),
  batch_size: z.union([auto, z.number().int().min(1).max(256)]).default('auto'),
  learning_rate_multiplier: z.union([auto, z.number().positive().max(10)]).default('auto'),
};

/** The soft prompt's length, as a job and an estimate take it. */
export const VIRTUAL_TOKENS_FIELD = z.number().int().min(1).max(512).default(DEFAULT_VIRTUAL_TOKENS);

const fullSchema = z.strictObject(SHARED_HYPERPARAMETER_FIELDS);

const promptSchema = z
  .strictObject({
    ...SHARED_HYPERPARAMETER_FIELDS,
    num_virtual_tokens: VIRTUAL_TOKENS_FIELD,
    prompt_tuning_init: z.enum(PROMPT_TUNING_INITS).default('SAMPLE_VOCAB'),
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

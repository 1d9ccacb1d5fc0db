import { z } from 'zod';
import { ValidationError } from '#core/errors.ts';
import type { EstimateRequest } from '#core/estimate/estimate-request.ts';
import { ESTIMATE_METHODS } from '#core/estimate/formulas.ts';
import {
  DEFAULT_VIRTUAL_TOKENS,
  SHARED_HYPERPARAMETER_FIELDS,
  VIRTUAL_TOKENS_FIELD,
} from '#core/hyperparameters.ts';

export type { EstimateRequest } from '#core/estimate/estimate-request.ts';

/**
 * The body of `POST /v1/estimates`. Data comes either from a processed file (`training_file`) or, for
 * planning before any data exists, as `training_tokens` and `examples`. Hyper-parameters take the jobs
 * API's names and bounds, so an estimate and the job it prices are described the same way.
 */

const fileId = z.string().min(1).max(64);

/** The jobs API's hyper-parameters (same names, same bounds) plus the soft prompt's length. */
export const EstimateHyperparametersSchema = z.strictObject({
  ...SHARED_HYPERPARAMETER_FIELDS,
  num_virtual_tokens: VIRTUAL_TOKENS_FIELD,
});

export const EstimateRequestSchema = z
  .strictObject({
    model: z.string().min(1).max(256),
    training_file: fileId.optional(),
    validation_file: fileId.optional(),
    /** Tokens in one pass over the planned dataset (what a file's `tokens.total` would say). */
    training_tokens: z.number().int().positive().optional(),
    examples: z.number().int().positive().optional(),
    validation_tokens: z.number().int().nonnegative().optional(),
    methods: z
      .array(z.enum(ESTIMATE_METHODS as ['supervised', 'prompt_tuning', 'hybrid']))
      .min(1)
      .refine((m) => new Set(m).size === m.length, 'must not repeat a method')
      .default(['supervised', 'prompt_tuning', 'hybrid']),
    hyperparameters: EstimateHyperparametersSchema.default({
      n_epochs: 'auto',
      batch_size: 'auto',
      learning_rate_multiplier: 'auto',
      num_virtual_tokens: DEFAULT_VIRTUAL_TOKENS,
    }),
    budget_usd: z.number().nonnegative().nullable().default(null),
    deadline_hours: z.number().positive().nullable().default(null),
    data_sensitivity: z.enum(['low', 'high']).nullable().default(null),
    iteration: z.enum(['weekly', 'quarterly']).nullable().default(null),
    portability: z.boolean().nullable().default(null),
  })
  .superRefine((body, ctx) => {
    const planned = body.training_tokens !== undefined || body.examples !== undefined;
    if (body.training_file !== undefined && planned) {
      ctx.addIssue({
        code: 'custom',
        path: [body.training_tokens !== undefined ? 'training_tokens' : 'examples'],
        message: 'give either training_file or training_tokens and examples, not both',
      });
      return;
    }
    if (body.training_file === undefined) {
      for (const key of ['training_tokens', 'examples'] as const) {
        if (body[key] === undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message:
              'is required when no training_file is given (give training_file, or training_tokens and examples)',
          });
          return;
        }
      }
      if ((body.training_tokens as number) < (body.examples as number)) {
        ctx.addIssue({
          code: 'custom',
          path: ['training_tokens'],
          message: 'must be at least examples: every example has at least one token',
        });
      }
    }
    if (body.validation_tokens !== undefined && body.validation_file !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['validation_tokens'],
        message: 'give either validation_file or validation_tokens, not both',
      });
    }
  }) satisfies z.ZodType<EstimateRequest>;

/**
 * Validates a request body outside HTTP (CLI, jobs): a ValidationError whose `param` names the first bad
 * field, dotted (`hyperparameters.n_epochs`), as OpenAI reports it.
 */
export function parseEstimateRequest(json: unknown): EstimateRequest {
  const result = EstimateRequestSchema.safeParse(json);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path =
    issue?.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] ?? ''] : (issue?.path ?? []);
  const param = path.length > 0 ? path.map(String).join('.') : null;
  const message =
    issue?.code === 'unrecognized_keys'
      ? `Unrecognized request argument supplied: ${param}`
      : `Invalid value for '${param ?? 'body'}': ${issue?.message ?? 'invalid request'}`;
  throw new ValidationError(message, { param, code: 'invalid_value', cause: result.error });
}

import { z } from 'zod';
import { ValidationError } from '#core/errors.ts';
import { parseHyperparameters } from '#core/hyperparameters.ts';
import type { JobMethod, JobMethodType } from '#core/jobs/job.ts';
import { SUFFIX_PATTERN } from '#core/jobs/model-names.ts';

/**
 * The body of `POST /v1/fine_tuning/jobs`, in OpenAI's shape: `method.type` picks full fine-tuning
 * (`supervised`) or `prompt_tuning`, each with its `hyperparameters`; the deprecated top-level
 * `hyperparameters` is still read as supervised ones, as OpenAI does. Hyper-parameters are validated by
 * the schemas the trainer also uses (`#core/hyperparameters.ts`), so whatever the API accepts, the trainer
 * can run.
 */

const METHOD_TYPES = ['supervised', 'prompt_tuning'] as const;

/** OpenAI's metadata limits: 16 pairs, keys up to 64 characters, values up to 512. */
export const MetadataSchema = z
  .record(z.string().min(1).max(64), z.string().max(512))
  .refine((m) => Object.keys(m).length <= 16, 'must have at most 16 keys');

const MethodSchema = z.strictObject({
  type: z.enum(METHOD_TYPES, {
    error: (issue) =>
      `unknown method type ${JSON.stringify(issue.input)}: expected "supervised" (full fine-tuning) or "prompt_tuning"`,
  }),
  supervised: z.strictObject({ hyperparameters: z.unknown().optional() }).optional(),
  prompt_tuning: z.strictObject({ hyperparameters: z.unknown().optional() }).optional(),
});

export const CreateJobBodySchema = z.strictObject({
  model: z.string().min(1).max(256),
  training_file: z.string().min(1).max(64),
  validation_file: z.string().min(1).max(64).nullish(),
  hyperparameters: z.unknown().optional(),
  method: MethodSchema.optional(),
  suffix: z.string().regex(SUFFIX_PATTERN, 'must be 1-40 letters, digits, ".", "_" or "-"').nullish(),
  seed: z.number().int().min(0).max(2_147_483_647).nullish(),
  metadata: MetadataSchema.nullish(),
  integrations: z.array(z.unknown()).max(0, 'integrations are not supported').nullish(),
});

export type CreateJobBody = z.output<typeof CreateJobBodySchema>;

/** A create request after validation: one method with every hyper-parameter checked. */
export interface CreateJobRequest {
  readonly model: string;
  readonly trainingFile: string;
  readonly validationFile: string | null;
  readonly method: JobMethod;
  readonly suffix: string | null;
  readonly seed: number | null;
  readonly metadata: Record<string, string> | null;
}

function methodOf(body: CreateJobBody): { type: JobMethodType; raw: unknown; param: string } {
  const method = body.method;
  if (method === undefined) {
    return { type: 'supervised', raw: body.hyperparameters, param: 'hyperparameters' };
  }
  if (body.hyperparameters !== undefined) {
    throw new ValidationError(
      'Give hyperparameters under method.<type>.hyperparameters, not at the top level.',
      {
        param: 'hyperparameters',
      },
    );
  }
  const other: JobMethodType = method.type === 'supervised' ? 'prompt_tuning' : 'supervised';
  if (method[other] !== undefined) {
    throw new ValidationError(`method.${other} was given, but method.type is "${method.type}".`, {
      param: `method.${other}`,
    });
  }
  return {
    type: method.type,
    raw: method[method.type]?.hyperparameters,
    param: `method.${method.type}.hyperparameters`,
  };
}

/**
 * Validates a parsed body into a request. A bad hyper-parameter is a 400 whose `param` is its full path
 * (`method.prompt_tuning.hyperparameters.num_virtual_tokens`), so the client knows which field to fix.
 */
export function toCreateJobRequest(body: CreateJobBody): CreateJobRequest {
  const { type, raw, param } = methodOf(body);
  let hyperparameters: JobMethod['hyperparameters'];
  try {
    hyperparameters = parseHyperparameters(type, raw);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const field = error.param?.replace(/^hyperparameters/, param) ?? param;
    throw new ValidationError(error.message.replace(/^invalid hyperparameters/, `invalid ${param}`), {
      param: field,
      code: 'invalid_hyperparameters',
      cause: error,
    });
  }
  return {
    model: body.model,
    trainingFile: body.training_file,
    validationFile: body.validation_file ?? null,
    method: { type, hyperparameters },
    suffix: body.suffix ?? null,
    seed: body.seed ?? null,
    metadata: body.metadata ?? null,
  };
}

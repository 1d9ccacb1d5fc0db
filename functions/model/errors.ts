import { AttuneError } from '#core/errors.ts';

/**
 * The errors the model layer throws about what it was asked to compute. They say what went wrong in the
 * model's own terms and carry no HTTP status: the trainer, the CLI and the inference boundary each decide
 * what one means to their caller (the API maps them in `functions/http/error-mapper.ts`).
 */
export class ModelError extends AttuneError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ModelError';
  }
}

export interface ModelInputErrorOptions {
  /** The argument or field at fault (`max_tokens`, `hyperparameters.num_virtual_tokens`), when one is. */
  readonly param?: string | null;
  /** A machine-readable reason (`context_length_exceeded`); absent for a plain invalid value. */
  readonly code?: string;
  readonly cause?: unknown;
}

/**
 * A request the model cannot compute as asked: an argument out of range, ids outside the vocabulary,
 * shapes that disagree. The caller is at fault, not the weights: the CLI reports it as a usage error, a
 * training job fails with its message, and the API answers 400 naming `param`.
 */
export class ModelInputError extends ModelError {
  readonly param: string | null;
  readonly code: string | undefined;

  constructor(message: string, options: ModelInputErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'ModelInputError';
    this.param = options.param ?? null;
    this.code = options.code;
  }
}

/**
 * A sequence that does not fit the model's context window: `positions` were needed (soft prompt,
 * cached, prompt and new tokens together) and the model has `contextLength` (its `n_positions`).
 */
export class ContextLengthError extends ModelInputError {
  readonly positions: number;
  readonly contextLength: number;

  constructor(message: string, sizes: { positions: number; contextLength: number }) {
    super(message, { code: 'context_length_exceeded' });
    this.name = 'ContextLengthError';
    this.positions = sizes.positions;
    this.contextLength = sizes.contextLength;
  }
}

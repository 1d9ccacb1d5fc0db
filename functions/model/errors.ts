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

/**
 * A sequence that does not fit the model's context window: `positions` were needed (soft prompt,
 * cached, prompt and new tokens together) and the model has `contextLength` (its `n_positions`).
 */
export class ContextLengthError extends ModelError {
  readonly positions: number;
  readonly contextLength: number;

  constructor(message: string, sizes: { positions: number; contextLength: number }) {
    super(message);
    this.name = 'ContextLengthError';
    this.positions = sizes.positions;
    this.contextLength = sizes.contextLength;
  }
}

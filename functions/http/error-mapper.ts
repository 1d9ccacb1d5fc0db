import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { HttpError, type OpenAIErrorBody, ValidationError } from '#core/errors.ts';
import { ModelInputError } from '#model/errors.ts';

/** How an error is answered: `unexpected` ones are logged in full and shown as a bare 500. */
export interface MappedError {
  readonly status: number;
  readonly body: OpenAIErrorBody;
  readonly unexpected: boolean;
}

/** OpenAI's own wording for its 500s: nothing about what failed inside. */
export const SERVER_ERROR_MESSAGE =
  'The server had an error while processing your request. Sorry about that! Quote the request id when you report it.';

/** The dotted path of the field a zod issue is about (`messages.0.role`), or the unknown key it names. */
function paramOf(issue: z.core.$ZodIssue): string | null {
  if (issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined) {
    return [...issue.path, issue.keys[0]].map(String).join('.');
  }
  return issue.path.length > 0 ? issue.path.map(String).join('.') : null;
}

/** A zod failure at the boundary as a 400 that names the first offending field in `param`. */
export function validationErrorFromZod(error: z.ZodError): ValidationError {
  const issue = error.issues[0];
  if (issue === undefined) return new ValidationError('Invalid request.', { cause: error });
  const param = paramOf(issue);
  const message =
    issue.code === 'unrecognized_keys'
      ? `Unrecognized request argument supplied: ${param}`
      : param === null
        ? `Invalid request: ${issue.message}`
        : `Invalid value for '${param}': ${issue.message}`;
  return new ValidationError(message, { param, code: 'invalid_value', cause: error });
}

/**
 * The HTTP error an error answers with, or null for one the client did not cause. A model layer's
 * ModelInputError is the 400 a ValidationError with its `param` and `code` gives (`invalid_request` when
 * it names none); a sequence longer than the model's context is thereby OpenAI's 400
 * `context_length_exceeded`.
 */
function httpErrorOf(error: unknown): HttpError | null {
  if (error instanceof HttpError) return error;
  if (error instanceof z.ZodError) return validationErrorFromZod(error);
  if (!(error instanceof ModelInputError)) return null;
  return new ValidationError(error.message, {
    param: error.param,
    ...(error.code === undefined ? {} : { code: error.code }),
    cause: error,
  });
}

/**
 * The one place any error becomes an HTTP answer in OpenAI's `{"error": {...}}` shape: Attune's HttpErrors
 * as they say, zod failures as 400s, the model layer's errors a client caused as their 4xx, Hono's own 4xx
 * exceptions with their status, and everything else as a 500 that leaks no message, stack or class name.
 */
export function mapError(error: unknown): MappedError {
  const known = httpErrorOf(error);
  if (known) return { status: known.statusCode, body: known.toJSON(), unexpected: false };
  if (error instanceof HTTPException && error.status < 500) {
    return {
      status: error.status,
      body: { error: { message: error.message, type: 'invalid_request_error', param: null, code: null } },
      unexpected: false,
    };
  }
  return {
    status: 500,
    body: { error: { message: SERVER_ERROR_MESSAGE, type: 'server_error', param: null, code: null } },
    unexpected: true,
  };
}

/** OpenAI's answer to a path or method it does not serve. */
export function notFoundBody(method: string, path: string): OpenAIErrorBody {
  return {
    error: {
      message: `Invalid URL (${method} ${path})`,
      type: 'invalid_request_error',
      param: null,
      code: null,
    },
  };
}

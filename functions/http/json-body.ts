import type { z } from 'zod';
import { PayloadTooLargeError, ValidationError } from '#core/errors.ts';
import { readLimitedBody } from '#http/limited-body.ts';

/** JSON request bodies are small descriptions, never data: anything larger is a mistake. */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;

/**
 * Reads, parses and validates a JSON body. Unparseable JSON is a 400 in OpenAI's wording; a body that
 * parses but does not match `schema` throws the ZodError, which the error mapper turns into a 400 naming
 * the field.
 */
export async function readJsonBody<S extends z.ZodType>(request: Request, schema: S): Promise<z.output<S>> {
  const bytes = await readLimitedBody(
    request,
    MAX_JSON_BODY_BYTES,
    () => new PayloadTooLargeError(`The JSON body must be at most ${MAX_JSON_BODY_BYTES} bytes.`),
  );
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new ValidationError(
      'We could not parse the JSON body of your request. The body must be a JSON object sent with Content-Type: application/json.',
      { code: 'invalid_json', cause: error },
    );
  }
  return schema.parse(value);
}

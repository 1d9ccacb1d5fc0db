import { HTTPException } from 'hono/http-exception';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  AuthenticationError,
  ConflictError,
  NotFoundError,
  PayloadTooLargeError,
  ValidationError,
} from '#core/errors.ts';
import { mapError, notFoundBody, SERVER_ERROR_MESSAGE } from '#http/error-mapper.ts';
import { ContextLengthError, ModelError, ModelInputError } from '#model/errors.ts';

function zodErrorOf(schema: z.ZodType, value: unknown): z.ZodError {
  const result = schema.safeParse(value);
  if (result.success) throw new Error('expected the value to fail the schema');
  return result.error;
}

describe('mapError', () => {
  it.each([
    [new ValidationError('bad', { param: 'x' }), 400],
    [new AuthenticationError(), 401],
    [new NotFoundError('gone'), 404],
    [new ConflictError('busy'), 409],
    [new PayloadTooLargeError('big'), 413],
  ])('Given %s, when mapped, then its own status and toJSON body are used', (error, status) => {
    expect(mapError(error)).toEqual({ status, body: error.toJSON(), unexpected: false });
  });

  it('Given a zod error on a nested field, when mapped, then 400 names the dotted path', () => {
    const error = zodErrorOf(z.object({ a: z.array(z.object({ b: z.number() })) }), { a: [{ b: 'x' }] });
    const mapped = mapError(error);
    expect(mapped.status).toBe(400);
    expect(mapped.body.error).toMatchObject({ param: 'a.0.b', type: 'invalid_request_error' });
    expect(mapped.body.error.message).toContain("'a.0.b'");
  });

  it('Given a zod error for an unknown key, when mapped, then 400 names that key', () => {
    const error = zodErrorOf(z.strictObject({ a: z.string() }), { a: 'ok', surprise: 1 });
    expect(mapError(error).body.error).toMatchObject({
      param: 'surprise',
      message: 'Unrecognized request argument supplied: surprise',
    });
  });

  it('Given a zod error about the whole body, when mapped, then 400 with a null param', () => {
    const error = zodErrorOf(z.object({ a: z.string() }), [1]);
    expect(mapError(error)).toMatchObject({ status: 400, body: { error: { param: null } } });
  });

  it("Given the model layer's ContextLengthError, when mapped, then OpenAI's 400 context_length_exceeded", () => {
    const message = '5 virtual + 20 prompt + 10 max tokens = 35 exceed the context of 32';
    const error = new ContextLengthError(message, { positions: 35, contextLength: 32 });
    expect(mapError(error)).toEqual({
      status: 400,
      body: {
        error: { message, type: 'invalid_request_error', param: null, code: 'context_length_exceeded' },
      },
      unexpected: false,
    });
  });

  it("Given the model layer's ModelInputError naming a param, when mapped, then the 400 a ValidationError gives", () => {
    const error = new ModelInputError('top_p must be in (0, 1]', { param: 'top_p' });
    const expected = new ValidationError('top_p must be in (0, 1]', { param: 'top_p' });
    expect(mapError(error)).toEqual({ status: 400, body: expected.toJSON(), unexpected: false });
    expect(expected.toJSON().error.code).toBe('invalid_request');
  });

  it('Given a ModelInputError with neither param nor code, when mapped, then 400 invalid_request with a null param', () => {
    expect(mapError(new ModelInputError('the prompt has no tokens'))).toEqual({
      status: 400,
      body: {
        error: {
          message: 'the prompt has no tokens',
          type: 'invalid_request_error',
          param: null,
          code: 'invalid_request',
        },
      },
      unexpected: false,
    });
  });

  it('Given a ModelInputError with its own code, when mapped, then 400 carries that code and param', () => {
    const error = new ModelInputError('token id 9 is outside the vocabulary', {
      param: 'prompt',
      code: 'bad_token',
    });
    expect(mapError(error).body.error).toEqual({
      message: 'token id 9 is outside the vocabulary',
      type: 'invalid_request_error',
      param: 'prompt',
      code: 'bad_token',
    });
  });

  it('Given any other model-layer error, when mapped, then a bare 500 that leaks nothing', () => {
    expect(mapError(new ModelError('weights and prompt disagree'))).toEqual({
      status: 500,
      body: { error: { message: SERVER_ERROR_MESSAGE, type: 'server_error', param: null, code: null } },
      unexpected: true,
    });
  });

  it("Given Hono's 4xx HTTPException, when mapped, then its status and message in OpenAI's shape", () => {
    const mapped = mapError(new HTTPException(415, { message: 'Unsupported' }));
    expect(mapped).toEqual({
      status: 415,
      body: { error: { message: 'Unsupported', type: 'invalid_request_error', param: null, code: null } },
      unexpected: false,
    });
  });

  it.each([
    new Error('connect ECONNREFUSED 10.0.0.1:8000 table=secret'),
    new HTTPException(502, { message: 'upstream detail' }),
    'a thrown string',
    undefined,
  ])('Given the unexpected %s, when mapped, then a bare 500 server_error that leaks nothing', (error) => {
    const mapped = mapError(error);
    expect(mapped).toEqual({
      status: 500,
      body: { error: { message: SERVER_ERROR_MESSAGE, type: 'server_error', param: null, code: null } },
      unexpected: true,
    });
  });
});

describe('notFoundBody', () => {
  it("Given a method and path, when rendered, then OpenAI's Invalid URL wording", () => {
    expect(notFoundBody('POST', '/v1/nope')).toEqual({
      error: {
        message: 'Invalid URL (POST /v1/nope)',
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    });
  });
});

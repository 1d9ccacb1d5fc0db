import { describe, expect, it } from 'vitest';
import { AttuneError, HttpError } from '#core/errors.ts';
import { ContextLengthError, ModelError, ModelInputError } from '#model/errors.ts';

describe('ModelInputError', () => {
  it('Given only a message, when built, then it names no param and no code', () => {
    const error = new ModelInputError('temperature must be ≥ 0');
    expect(error).toMatchObject({ name: 'ModelInputError', param: null, code: undefined });
  });

  it('Given a param, a code and a cause, when built, then it keeps all three', () => {
    const cause = new Error('inner');
    const error = new ModelInputError('bad', { param: 'max_tokens', code: 'too_many', cause });
    expect(error).toMatchObject({ param: 'max_tokens', code: 'too_many', cause });
  });

  it('Given one, when classified, then it is a ModelError and an AttuneError but no HttpError', () => {
    const error = new ModelInputError('bad');
    expect(error).toBeInstanceOf(ModelError);
    expect(error).toBeInstanceOf(AttuneError);
    expect(error).not.toBeInstanceOf(HttpError);
  });
});

describe('ContextLengthError', () => {
  it('Given the sizes, when built, then it is a ModelInputError coded context_length_exceeded with no param', () => {
    const error = new ContextLengthError('too long', { positions: 35, contextLength: 32 });
    expect(error).toBeInstanceOf(ModelInputError);
    expect(error).toMatchObject({
      name: 'ContextLengthError',
      param: null,
      code: 'context_length_exceeded',
      positions: 35,
      contextLength: 32,
    });
  });
});

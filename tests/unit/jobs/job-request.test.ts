import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ValidationError } from '#core/errors.ts';
import { CreateJobBodySchema, toCreateJobRequest } from '#core/jobs/job-request.ts';

const base = { model: 'attune-tiny', training_file: 'file-x' };
const parse = (body: unknown) => toCreateJobRequest(CreateJobBodySchema.parse(body));

function validationErrorOf(body: unknown): ValidationError {
  try {
    parse(body);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('create job request', () => {
  it('Given only model and training file, then it is a supervised job with "auto" hyperparameters', () => {
    const request = parse(base);
    expect(request.method).toEqual({
      type: 'supervised',
      hyperparameters: { n_epochs: 'auto', batch_size: 'auto', learning_rate_multiplier: 'auto' },
    });
    expect(request).toMatchObject({ validationFile: null, suffix: null, seed: null, metadata: null });
  });

  it('Given a prompt tuning method, then its hyperparameters get the PEFT defaults', () => {
    const request = parse({
      ...base,
      method: { type: 'prompt_tuning', prompt_tuning: { hyperparameters: { num_virtual_tokens: 8 } } },
    });
    expect(request.method.type).toBe('prompt_tuning');
    expect(request.method.hyperparameters).toMatchObject({
      num_virtual_tokens: 8,
      prompt_tuning_init: 'SAMPLE_VOCAB',
    });
  });

  it('Given the deprecated top-level hyperparameters, then they are read as supervised ones', () => {
    expect(parse({ ...base, hyperparameters: { n_epochs: 2 } }).method.hyperparameters.n_epochs).toBe(2);
  });

  it('Given an unknown method type, when parsed, then zod names method.type', () => {
    const result = CreateJobBodySchema.safeParse({ ...base, method: { type: 'dpo' } });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['method', 'type']);
    expect(result.error?.issues[0]?.message).toContain('unknown method type "dpo"');
  });

  it('Given a bad prompt tuning hyperparameter, then the 400 names its full path', () => {
    const error = validationErrorOf({
      ...base,
      method: { type: 'prompt_tuning', prompt_tuning: { hyperparameters: { num_virtual_tokens: 0 } } },
    });
    expect(error.param).toBe('method.prompt_tuning.hyperparameters.num_virtual_tokens');
    expect(error.code).toBe('invalid_hyperparameters');
  });

  it('Given an unknown hyperparameter, then the 400 names it', () => {
    const error = validationErrorOf({
      ...base,
      method: { type: 'supervised', supervised: { hyperparameters: { n_epoch: 3 } } },
    });
    expect(error.param).toBe('method.supervised.hyperparameters.n_epoch');
  });

  it('Given a prompt tuning field on a supervised job, then it is refused by name', () => {
    const error = validationErrorOf({
      ...base,
      method: { type: 'supervised', supervised: { hyperparameters: { num_virtual_tokens: 20 } } },
    });
    expect(error.param).toBe('method.supervised.hyperparameters.num_virtual_tokens');
  });

  it('Given settings for the other method, then the 400 names them', () => {
    const error = validationErrorOf({ ...base, method: { type: 'supervised', prompt_tuning: {} } });
    expect(error.param).toBe('method.prompt_tuning');
  });

  it('Given a method and top-level hyperparameters together, then the 400 names hyperparameters', () => {
    expect(validationErrorOf({ ...base, method: { type: 'supervised' }, hyperparameters: {} }).param).toBe(
      'hyperparameters',
    );
  });

  it.each([
    ['suffix', { suffix: 'a:b' }],
    ['seed', { seed: -1 }],
    ['metadata', { metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) }],
    ['integrations', { integrations: [{ type: 'wandb' }] }],
    ['foo', { foo: 1 }],
  ])('Given a bad %s, when parsed, then it is refused', (_field, extra) => {
    expect(() => CreateJobBodySchema.parse({ ...base, ...extra })).toThrow(z.ZodError);
  });
});

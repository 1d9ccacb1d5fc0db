import { describe, expect, it } from 'vitest';
import { ValidationError } from '#core/errors.ts';
import { parseEstimateRequest } from '#core/estimate/request-schema.ts';

function paramOf(body: unknown): string | null {
  try {
    parseEstimateRequest(body);
  } catch (error) {
    if (error instanceof ValidationError) return error.param;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('estimate request', () => {
  it('given planning figures only, then every default is filled in', () => {
    const request = parseEstimateRequest({ model: 'gpt2', training_tokens: 100_000, examples: 500 });
    expect(request.methods).toEqual(['supervised', 'prompt_tuning', 'hybrid']);
    expect(request.hyperparameters).toEqual({
      n_epochs: 'auto',
      batch_size: 'auto',
      learning_rate_multiplier: 'auto',
      num_virtual_tokens: 20,
    });
    expect(request.data_sensitivity).toBeNull();
  });

  it('given a training file and the drivers, then they are kept as given', () => {
    const request = parseEstimateRequest({
      model: 'gpt2',
      training_file: 'file-abc',
      methods: ['prompt_tuning'],
      budget_usd: 50,
      deadline_hours: 4,
      data_sensitivity: 'high',
      iteration: 'weekly',
      portability: true,
    });
    expect(request).toMatchObject({ training_file: 'file-abc', budget_usd: 50, iteration: 'weekly' });
  });

  it.each([
    ['negative tokens', { model: 'gpt2', training_tokens: -5, examples: 10 }, 'training_tokens'],
    ['zero examples', { model: 'gpt2', training_tokens: 5, examples: 0 }, 'examples'],
    ['fewer tokens than examples', { model: 'gpt2', training_tokens: 5, examples: 10 }, 'training_tokens'],
    ['no data at all', { model: 'gpt2' }, 'training_tokens'],
    ['tokens without examples', { model: 'gpt2', training_tokens: 500 }, 'examples'],
    ['a file and planning figures', { model: 'gpt2', training_file: 'file-a', examples: 3 }, 'examples'],
    ['no model', { training_tokens: 500, examples: 5 }, 'model'],
    [
      'an unknown method',
      { model: 'gpt2', training_tokens: 500, examples: 5, methods: ['lora'] },
      'methods.0',
    ],
    [
      'a repeated method',
      { model: 'gpt2', training_tokens: 500, examples: 5, methods: ['hybrid', 'hybrid'] },
      'methods',
    ],
    [
      'an unknown sensitivity',
      { model: 'gpt2', training_tokens: 500, examples: 5, data_sensitivity: 'medium' },
      'data_sensitivity',
    ],
    [
      'an unknown iteration',
      { model: 'gpt2', training_tokens: 500, examples: 5, iteration: 'daily' },
      'iteration',
    ],
    ['a negative budget', { model: 'gpt2', training_tokens: 500, examples: 5, budget_usd: -1 }, 'budget_usd'],
    [
      'a zero deadline',
      { model: 'gpt2', training_tokens: 500, examples: 5, deadline_hours: 0 },
      'deadline_hours',
    ],
    [
      'a string for portability',
      { model: 'gpt2', training_tokens: 500, examples: 5, portability: 'yes' },
      'portability',
    ],
    [
      'epochs out of range',
      { model: 'gpt2', training_tokens: 500, examples: 5, hyperparameters: { n_epochs: 0 } },
      'hyperparameters.n_epochs',
    ],
    [
      'an unknown hyperparameter',
      { model: 'gpt2', training_tokens: 500, examples: 5, hyperparameters: { lr: 1 } },
      'hyperparameters.lr',
    ],
    ['an unknown field', { model: 'gpt2', training_tokens: 500, examples: 5, budget: 5 }, 'budget'],
    [
      'validation tokens and a validation file',
      { model: 'gpt2', training_tokens: 500, examples: 5, validation_tokens: 5, validation_file: 'file-v' },
      'validation_tokens',
    ],
  ])('given %s, then it is rejected naming the field', (_what, body, param) => {
    expect(paramOf(body)).toBe(param);
  });
});

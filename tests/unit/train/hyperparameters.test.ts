import { describe, expect, it } from 'vitest';
import { ValidationError } from '#core/errors.ts';
import { autoBatchSize, autoEpochs, parseHyperparameters } from '#core/hyperparameters.ts';
import { resolveHyperparameters } from '#model/train-hyperparameters.ts';

function rejection(method: Parameters<typeof parseHyperparameters>[0], json: unknown): ValidationError {
  try {
    parseHyperparameters(method, json);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('parseHyperparameters', () => {
  it('given nothing, when parsed, then every field is "auto"', () => {
    expect(parseHyperparameters('supervised', undefined)).toEqual({
      n_epochs: 'auto',
      batch_size: 'auto',
      learning_rate_multiplier: 'auto',
    });
  });

  it('given prompt tuning and nothing, when parsed, then PEFT fields take their defaults', () => {
    expect(parseHyperparameters('prompt_tuning', {})).toMatchObject({
      num_virtual_tokens: 20,
      prompt_tuning_init: 'SAMPLE_VOCAB',
    });
  });

  it('given numbers, when parsed, then they are kept', () => {
    const h = parseHyperparameters('supervised', {
      n_epochs: 2,
      batch_size: 8,
      learning_rate_multiplier: 0.5,
    });
    expect(h).toEqual({ n_epochs: 2, batch_size: 8, learning_rate_multiplier: 0.5 });
  });

  it('given n_epochs 0, when parsed, then a 400 names hyperparameters.n_epochs', () => {
    const error = rejection('supervised', { n_epochs: 0 });
    expect(error.statusCode).toBe(400);
    expect(error.param).toBe('hyperparameters.n_epochs');
  });

  it('given a string batch size other than "auto", when parsed, then it names hyperparameters.batch_size', () => {
    expect(rejection('supervised', { batch_size: 'big' }).param).toBe('hyperparameters.batch_size');
  });

  it('given a negative multiplier, when parsed, then it names hyperparameters.learning_rate_multiplier', () => {
    const error = rejection('prompt_tuning', { learning_rate_multiplier: -1 });
    expect(error.param).toBe('hyperparameters.learning_rate_multiplier');
  });

  it('given an unknown key, when parsed, then it names the key instead of ignoring it', () => {
    expect(rejection('supervised', { n_epoch: 3 }).param).toBe('hyperparameters.n_epoch');
  });

  it('given a prompt-tuning field on full fine-tuning, when parsed, then it is rejected by name', () => {
    expect(rejection('supervised', { num_virtual_tokens: 8 }).param).toBe(
      'hyperparameters.num_virtual_tokens',
    );
  });

  it('given TEXT init without text, when parsed, then it names prompt_tuning_init_text', () => {
    const error = rejection('prompt_tuning', { prompt_tuning_init: 'TEXT' });
    expect(error.param).toBe('hyperparameters.prompt_tuning_init_text');
  });

  it('given init text with RANDOM init, when parsed, then it names prompt_tuning_init_text', () => {
    const error = rejection('prompt_tuning', { prompt_tuning_init: 'RANDOM', prompt_tuning_init_text: 'hi' });
    expect(error.param).toBe('hyperparameters.prompt_tuning_init_text');
  });

  it('given an unknown init, when parsed, then it names prompt_tuning_init', () => {
    expect(rejection('prompt_tuning', { prompt_tuning_init: 'ZEROS' }).param).toBe(
      'hyperparameters.prompt_tuning_init',
    );
  });

  it('given a fractional num_virtual_tokens, when parsed, then it names num_virtual_tokens', () => {
    expect(rejection('prompt_tuning', { num_virtual_tokens: 2.5 }).param).toBe(
      'hyperparameters.num_virtual_tokens',
    );
  });

  it('given a non-object, when parsed, then the param is hyperparameters itself', () => {
    expect(rejection('pretrain', 'fast').param).toBe('hyperparameters');
  });
});

describe('auto rules', () => {
  it('given dataset sizes, when epochs are auto, then they follow OpenAI 100/25,000-example rule', () => {
    expect([1, 10, 40, 1000, 20_000].map(autoEpochs)).toEqual([25, 10, 3, 3, 1]);
  });

  it('given dataset sizes, when the batch size is auto, then it is 0.2% clamped to [1, 32]', () => {
    expect([10, 1000, 5000, 1_000_000].map(autoBatchSize)).toEqual([1, 2, 10, 32]);
  });
});

describe('resolveHyperparameters', () => {
  it('given auto full fine-tuning, when resolved, then the peak rate is the supervised base rate', () => {
    const r = resolveHyperparameters('supervised', parseHyperparameters('supervised', {}), 500);
    expect(r).toMatchObject({ n_epochs: 3, batch_size: 1, learning_rate_multiplier: 1, learning_rate: 1e-4 });
  });

  it('given prompt tuning at multiplier 2, when resolved, then the rate is twice the prompt base rate', () => {
    const h = parseHyperparameters('prompt_tuning', { learning_rate_multiplier: 2, num_virtual_tokens: 5 });
    const r = resolveHyperparameters('prompt_tuning', h, 500);
    expect(r).toMatchObject({ learning_rate: 0.06, num_virtual_tokens: 5, weight_decay: 0 });
  });
});

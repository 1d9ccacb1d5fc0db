import { describe, expect, it } from 'vitest';
import { FormatError } from '#core/errors.ts';
import { gpt2ConfigToJson, parseGpt2Config } from '#model/config.ts';

const gpt2Small = {
  activation_function: 'gelu_new',
  architectures: ['GPT2LMHeadModel'],
  attn_pdrop: 0.1,
  bos_token_id: 50256,
  eos_token_id: 50256,
  layer_norm_epsilon: 1e-5,
  model_type: 'gpt2',
  n_ctx: 1024,
  n_embd: 768,
  n_head: 12,
  n_layer: 12,
  n_positions: 1024,
  vocab_size: 50257,
};

describe('parseGpt2Config', () => {
  it("given GPT-2 small's public config.json, then it keeps the keys the forward pass needs", () => {
    expect(parseGpt2Config(gpt2Small)).toEqual({
      n_layer: 12,
      n_head: 12,
      n_embd: 768,
      n_positions: 1024,
      vocab_size: 50257,
      layer_norm_epsilon: 1e-5,
      bos_token_id: 50256,
      eos_token_id: 50256,
    });
  });

  it('given no layer_norm_epsilon, then it defaults to 1e-5 as transformers does', () => {
    const { layer_norm_epsilon: _, ...rest } = gpt2Small;
    expect(parseGpt2Config(rest).layer_norm_epsilon).toBe(1e-5);
  });

  it('given a config written by gpt2ConfigToJson, then parsing returns the same config', () => {
    const config = parseGpt2Config(gpt2Small);
    expect(parseGpt2Config(gpt2ConfigToJson(config))).toEqual(config);
  });

  it('given a missing n_head, then the FormatError names the key', () => {
    const { n_head: _, ...rest } = gpt2Small;
    expect(() => parseGpt2Config(rest)).toThrow(/n_head/);
  });

  it('given a non-integer width, then it throws a FormatError naming the key', () => {
    expect(() => parseGpt2Config({ ...gpt2Small, n_embd: 7.5 })).toThrow(/n_embd/);
  });

  it('given n_embd not divisible by n_head, then it throws', () => {
    expect(() => parseGpt2Config({ ...gpt2Small, n_head: 5 })).toThrow(/divisible/);
  });

  it('given another model_type, then it throws', () => {
    expect(() => parseGpt2Config({ ...gpt2Small, model_type: 'llama' })).toThrow(FormatError);
  });

  it('given an activation other than gelu_new, then it throws', () => {
    expect(() => parseGpt2Config({ ...gpt2Small, activation_function: 'relu' })).toThrow(
      /activation_function/,
    );
  });

  it('given an inner width other than 4 * n_embd, then it throws', () => {
    expect(() => parseGpt2Config({ ...gpt2Small, n_inner: 100 })).toThrow(/n_inner/);
  });

  it('given something that is not an object, then it throws a FormatError', () => {
    expect(() => parseGpt2Config('gpt2')).toThrow(FormatError);
  });
});

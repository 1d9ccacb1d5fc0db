import { z } from 'zod';
import { FormatError } from '#core/errors.ts';
import type { Gpt2Config } from '#core/gpt2-config.ts';

/** Reads and writes a model's `config.json` (Hugging Face's keys) as the domain's `Gpt2Config`. */

const positiveInt = z.number().int().positive();

/**
 * HF writes many more keys (dropout rates, task params, `n_ctx`...); only those that change the forward
 * pass are read. The activation and inner width must be GPT-2's, since the forward pass hard-codes them.
 */
const configSchema = z
  .object({
    model_type: z.literal('gpt2').optional(),
    n_layer: positiveInt,
    n_head: positiveInt,
    n_embd: positiveInt,
    n_positions: positiveInt,
    vocab_size: positiveInt,
    layer_norm_epsilon: z.number().positive().default(1e-5),
    bos_token_id: z.number().int().nonnegative().nullish(),
    eos_token_id: z.number().int().nonnegative().nullish(),
    n_inner: z.number().int().positive().nullish(),
    activation_function: z.literal('gelu_new').optional(),
  })
  .superRefine((c, ctx) => {
    if (c.n_embd % c.n_head !== 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['n_embd'],
        message: `n_embd (${c.n_embd}) must be divisible by n_head (${c.n_head})`,
      });
    }
    if (c.n_inner != null && c.n_inner !== 4 * c.n_embd) {
      ctx.addIssue({ code: 'custom', path: ['n_inner'], message: 'only n_inner = 4 * n_embd is supported' });
    }
  });

/** Validates a parsed `config.json`; a FormatError names every bad or missing key. */
export function parseGpt2Config(json: unknown): Gpt2Config {
  const result = configSchema.safeParse(json);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new FormatError(`invalid GPT-2 config.json: ${problems.join('; ')}`, { cause: result.error });
  }
  const c = result.data;
  const config: Gpt2Config = {
    n_layer: c.n_layer,
    n_head: c.n_head,
    n_embd: c.n_embd,
    n_positions: c.n_positions,
    vocab_size: c.vocab_size,
    layer_norm_epsilon: c.layer_norm_epsilon,
  };
  if (c.bos_token_id != null) config.bos_token_id = c.bos_token_id;
  if (c.eos_token_id != null) config.eos_token_id = c.eos_token_id;
  return config;
}

/**
 * The `config.json` object to write beside the weights: HF's keys and the constants our forward pass
 * assumes (`gelu_new`, no dropout at inference), so `GPT2LMHeadModel.from_pretrained` loads it unchanged.
 */
export function gpt2ConfigToJson(config: Gpt2Config): Record<string, unknown> {
  return {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    activation_function: 'gelu_new',
    n_layer: config.n_layer,
    n_head: config.n_head,
    n_embd: config.n_embd,
    n_positions: config.n_positions,
    n_ctx: config.n_positions,
    n_inner: null,
    vocab_size: config.vocab_size,
    layer_norm_epsilon: config.layer_norm_epsilon,
    bos_token_id: config.bos_token_id ?? null,
    eos_token_id: config.eos_token_id ?? null,
    attn_pdrop: 0.1,
    embd_pdrop: 0.1,
    resid_pdrop: 0.1,
    initializer_range: 0.02,
    scale_attn_weights: true,
    tie_word_embeddings: true,
    torch_dtype: 'float32',
  };
}

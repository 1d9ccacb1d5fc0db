import type { Gpt2Config } from '#core/gpt2-config.ts';

/**
 * The shapes of the models a team can plan with: the published GPT-2 sizes, the Llama-shaped decoders
 * most teams consider next (1B, 7B, 13B, 70B), and Attune's built-in model. Only the shape matters to
 * the estimator: it decides parameters, FLOPs, memory and artifact size.
 */
export interface ModelShape {
  readonly name: string;
  /** `gpt2`: LayerNorm, 4× GELU MLP, learned positions, tied head. `llama`: RMSNorm, SwiGLU, RoPE, untied head. */
  readonly architecture: 'gpt2' | 'llama';
  readonly n_layer: number;
  readonly n_embd: number;
  readonly n_head: number;
  /** Key/value heads (grouped-query attention); equal to n_head without GQA. */
  readonly n_kv_head: number;
  /** Width of the MLP's hidden layer. */
  readonly n_inner: number;
  readonly n_positions: number;
  readonly vocab_size: number;
  readonly source: string;
}

/** A GPT-2-architecture shape from a config.json (the team's own base models, Attune's built-in one). */
export function shapeFromGpt2Config(name: string, config: Gpt2Config, source: string): ModelShape {
  return {
    name,
    architecture: 'gpt2',
    n_layer: config.n_layer,
    n_embd: config.n_embd,
    n_head: config.n_head,
    n_kv_head: config.n_head,
    n_inner: 4 * config.n_embd,
    n_positions: config.n_positions,
    vocab_size: config.vocab_size,
    source,
  };
}

const GPT2_SOURCE = 'Radford et al. 2019 (GPT-2), Hugging Face config.json of openai-community/';

function gpt2(name: string, nLayer: number, nEmbd: number, nHead: number): ModelShape {
  return shapeFromGpt2Config(
    name,
    {
      n_layer: nLayer,
      n_embd: nEmbd,
      n_head: nHead,
      n_positions: 1024,
      vocab_size: 50257,
      layer_norm_epsilon: 1e-5,
    },
    `${GPT2_SOURCE}${name}`,
  );
}

function llama(
  name: string,
  shape: Omit<ModelShape, 'name' | 'architecture' | 'source'>,
  source: string,
): ModelShape {
  return { name, architecture: 'llama', ...shape, source };
}

/**
 * Attune's built-in model until the model engineer commits models/attune-tiny/config.json: 4 layers, 4
 * heads, width 128, 256 positions, a 4096-token vocabulary (small enough to train on a laptop CPU).
 */
export const ATTUNE_TINY: ModelShape = shapeFromGpt2Config(
  'attune-tiny',
  { n_layer: 4, n_embd: 128, n_head: 4, n_positions: 256, vocab_size: 4096, layer_norm_epsilon: 1e-5 },
  "Attune's built-in model (models/attune-tiny)",
);

/** The models a team can plan with by name, before it has a model of its own. */
export const MODEL_CATALOG: readonly ModelShape[] = [
  ATTUNE_TINY,
  gpt2('gpt2', 12, 768, 12),
  gpt2('gpt2-medium', 24, 1024, 16),
  gpt2('gpt2-large', 36, 1280, 20),
  gpt2('gpt2-xl', 48, 1600, 25),
  llama(
    'tinyllama-1.1b',
    {
      n_layer: 22,
      n_embd: 2048,
      n_head: 32,
      n_kv_head: 4,
      n_inner: 5632,
      n_positions: 2048,
      vocab_size: 32000,
    },
    'TinyLlama-1.1B (Zhang et al. 2024), config.json of TinyLlama/TinyLlama-1.1B-intermediate-step-1431k-3T',
  ),
  llama(
    'llama-2-7b',
    {
      n_layer: 32,
      n_embd: 4096,
      n_head: 32,
      n_kv_head: 32,
      n_inner: 11008,
      n_positions: 4096,
      vocab_size: 32000,
    },
    'Touvron et al. 2023 (Llama 2), table 1 and config.json of meta-llama/Llama-2-7b-hf',
  ),
  llama(
    'llama-2-13b',
    {
      n_layer: 40,
      n_embd: 5120,
      n_head: 40,
      n_kv_head: 40,
      n_inner: 13824,
      n_positions: 4096,
      vocab_size: 32000,
    },
    'Touvron et al. 2023 (Llama 2), config.json of meta-llama/Llama-2-13b-hf',
  ),
  llama(
    'llama-2-70b',
    {
      n_layer: 80,
      n_embd: 8192,
      n_head: 64,
      n_kv_head: 8,
      n_inner: 28672,
      n_positions: 4096,
      vocab_size: 32000,
    },
    'Touvron et al. 2023 (Llama 2, grouped-query attention), config.json of meta-llama/Llama-2-70b-hf',
  ),
];

/** The catalog model of that name, or undefined. */
export function findCatalogModel(name: string): ModelShape | undefined {
  return MODEL_CATALOG.find((model) => model.name === name);
}

/**
 * Every weight of the model, counted tensor by tensor as the published checkpoints hold them:
 * - gpt2 (per layer): attention 4d²+4d (qkv and output, with biases), MLP 2·d·d_ff + d_ff + d, two
 *   LayerNorms 4d; plus token and position embeddings (V·d + P·d) and the final LayerNorm 2d; the head is tied.
 * - llama (per layer): q and o d² each, k and v d·(d/h)·h_kv each, SwiGLU MLP 3·d·d_ff, two RMSNorms 2d;
 *   plus embeddings V·d, an untied head V·d and the final norm d.
 * GPT-2 124M gives 124,439,808, Llama-2-7B 6,738,415,616, as published.
 */
export function countParameters(model: ModelShape): number {
  const d = model.n_embd;
  const ff = model.n_inner;
  if (model.architecture === 'gpt2') {
    const perLayer = 4 * d * d + 4 * d + 2 * d * ff + ff + d + 4 * d;
    return model.n_layer * perLayer + model.vocab_size * d + model.n_positions * d + 2 * d;
  }
  const kv = (d / model.n_head) * model.n_kv_head;
  const perLayer = 2 * d * d + 2 * d * kv + 3 * d * ff + 2 * d;
  return model.n_layer * perLayer + 2 * model.vocab_size * d + d;
}

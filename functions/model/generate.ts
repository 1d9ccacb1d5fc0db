import * as tf from '@tensorflow/tfjs';
import type { Gpt2Config } from '#core/gpt2-config.ts';
import { ContextLengthError, ModelInputError } from '#model/errors.ts';
import { type Gpt2Weights, gpt2Forward } from '#model/gpt2.ts';
import { disposeKvCache, emptyKvCache, type KvCache } from '#model/kv-cache.ts';
import type { PromptPrefix } from '#model/prompt-prefix.ts';

/**
 * Autoregressive generation with a KV cache: the prefix (soft prompt + prompt tokens) runs once, then
 * each step feeds only the newest token. Sampling runs in JS on the last position's logits.
 */

export interface GenerateOptions {
  /** Upper bound on generated tokens; prompt + virtual tokens + this must fit `n_positions`. */
  maxTokens: number;
  /** 0 is greedy (argmax); otherwise logits are divided by it before sampling. Default 1. */
  temperature?: number;
  /** Nucleus sampling: sample from the smallest set of tokens whose probability reaches topP. Default 1. */
  topP?: number;
  /** Seed of the sampling PRNG: the same seed, model and request give the same tokens. Default random. */
  seed?: number;
  /** Stop when the decoded continuation contains one of these; the text is cut before it. */
  stop?: readonly string[];
  /** Turns generated ids into text; required for `stop` and to get `text` back. */
  decode?: (ids: number[]) => string;
  /** Stop (without emitting it) when this token is sampled, e.g. GPT-2's `<|endoftext|>`. */
  eosTokenId?: number;
  /** Soft prompt `[P, n_embd]` attended before the prompt tokens (a tuned prompt). */
  prompt?: tf.Tensor2D;
  /**
   * A soft prompt's precomputed keys/values (`computePromptPrefix`), instead of `prompt`: the same
   * tokens, without running the prompt again. Read only; the caller keeps owning it.
   */
  prefix?: PromptPrefix;
  /**
   * Ids at or above this are never sampled: a model whose `vocab_size` is padded past its tokenizer's
   * vocabulary (as GPT-2's checkpoints often are) has rows no text decodes to. Default: `vocab_size`.
   */
  samplableVocabSize?: number;
  /** How many most likely alternatives to report per generated token (0..20). Default 0. */
  topLogprobs?: number;
}

/** One candidate token at one position, with its natural-log probability. */
export interface TokenLogprob {
  readonly token: number;
  readonly logprob: number;
}

export type FinishReason = 'stop' | 'length';

export interface GenerateResult {
  /** Generated ids (EOS excluded; a stop sequence's tokens included, as they were generated). */
  tokens: number[];
  /** Natural-log probability of each generated token under the model (temperature 1, before top-p). */
  logprobs: number[];
  /** The decoded continuation cut before the first stop sequence; present when `decode` was given. */
  text?: string;
  finishReason: FinishReason;
  /** Per generated token, the `topLogprobs` most likely tokens, most likely first; when asked for. */
  topLogprobs?: TokenLogprob[][];
}

/** mulberry32: a small, fast, deterministic PRNG, so a seed reproduces a completion exactly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function logSoftmax(logits: Float32Array): Float64Array {
  let max = Number.NEGATIVE_INFINITY;
  for (const v of logits) if (v > max) max = v;
  let sum = 0;
  for (const v of logits) sum += Math.exp(v - max);
  const logZ = max + Math.log(sum);
  return Float64Array.from(logits, (v) => v - logZ);
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if ((values[i] as number) > (values[best] as number)) best = i;
  return best;
}

/** Picks the next token from one position's logits: greedy at temperature 0, else tempered top-p sampling. */
export function sampleToken(
  logits: Float32Array,
  temperature: number,
  topP: number,
  random: () => number,
): number {
  if (temperature === 0) return argmax(logits);
  const scaled = logSoftmax(Float32Array.from(logits, (v) => v / temperature));
  // Sorting the vocabulary is only needed to find the nucleus; without top-p, draw in id order.
  const ids = Array.from(scaled.keys());
  const order = topP < 1 ? ids.sort((a, b) => (scaled[b] as number) - (scaled[a] as number)) : ids;
  const kept: number[] = [];
  let mass = 0;
  for (const id of order) {
    kept.push(id);
    mass += Math.exp(scaled[id] as number);
    if (mass >= topP) break;
  }
  let r = random() * mass;
  for (const id of kept) {
    r -= Math.exp(scaled[id] as number);
    if (r <= 0) return id;
  }
  return kept[kept.length - 1] as number;
}

function checkOptions(config: Gpt2Config, promptIds: readonly number[], options: GenerateOptions): void {
  const { maxTokens, temperature = 1, topP = 1 } = options;
  if (!Number.isInteger(maxTokens) || maxTokens < 1) {
    throw new ModelInputError(`max_tokens must be a positive integer, got ${maxTokens}`, {
      param: 'max_tokens',
    });
  }
  if (!(temperature >= 0)) throw new ModelInputError('temperature must be ≥ 0', { param: 'temperature' });
  if (!(topP > 0 && topP <= 1)) throw new ModelInputError('top_p must be in (0, 1]', { param: 'top_p' });
  if (options.stop?.length && !options.decode) {
    throw new ModelInputError('stop sequences need a decode function', { param: 'stop' });
  }
  if (promptIds.length === 0) throw new ModelInputError('the prompt has no tokens', { param: 'prompt' });
  const bad = promptIds.find((id) => !Number.isInteger(id) || id < 0 || id >= config.vocab_size);
  if (bad !== undefined)
    throw new ModelInputError(`token id ${bad} is outside the vocabulary`, { param: 'prompt' });
  if (options.prompt && options.prefix) {
    throw new ModelInputError('pass a soft prompt or its precomputed prefix, not both');
  }
  const limit = options.samplableVocabSize;
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1 && limit <= config.vocab_size)) {
    throw new ModelInputError(`samplableVocabSize must be in 1..${config.vocab_size}, got ${limit}`);
  }
  const top = options.topLogprobs ?? 0;
  if (!(Number.isInteger(top) && top >= 0 && top <= 20)) {
    throw new ModelInputError('top logprobs must be an integer in 0..20', { param: 'logprobs' });
  }
  const virtual = options.prompt?.shape[0] ?? options.prefix?.virtualTokens ?? 0;
  const needed = virtual + promptIds.length + maxTokens;
  if (needed > config.n_positions) {
    throw new ContextLengthError(
      `${virtual} virtual + ${promptIds.length} prompt + ${maxTokens} max tokens = ${needed} exceed the context of ${config.n_positions}`,
      { positions: needed, contextLength: config.n_positions },
    );
  }
}

function stopIndex(text: string, stop: readonly string[]): number {
  let first = -1;
  for (const s of stop) {
    const at = s.length > 0 ? text.indexOf(s) : -1;
    if (at >= 0 && (first < 0 || at < first)) first = at;
  }
  return first;
}

/** The `count` largest entries of a log-distribution, largest first. */
function topOf(logprobs: Float64Array, count: number): TokenLogprob[] {
  const top: TokenLogprob[] = [];
  for (let token = 0; token < logprobs.length; token++) {
    const logprob = logprobs[token] as number;
    if (top.length === count && logprob <= (top[count - 1] as TokenLogprob).logprob) continue;
    let at = top.length;
    while (at > 0 && (top[at - 1] as TokenLogprob).logprob < logprob) at--;
    top.splice(at, 0, { token, logprob });
    if (top.length > count) top.pop();
  }
  return top;
}

interface StepInput {
  readonly ids: readonly number[];
  readonly cache: KvCache;
  /** False for a shared prefix, which stays with its owner. */
  readonly ownsCache: boolean;
  readonly prompt: tf.Tensor2D | undefined;
  readonly samplable: number;
}

/**
 * Runs one step and returns the last position's logits (ids past `samplable` set to -Infinity), replacing
 * the previous cache and freeing it unless it is a shared prefix.
 */
function step(
  config: Gpt2Config,
  weights: Gpt2Weights,
  input: StepInput,
): { logits: Float32Array; cache: KvCache } {
  const { ids, cache, prompt } = input;
  const tensor = tf.tensor2d([ids as number[]], [1, ids.length], 'int32');
  const result = gpt2Forward(config, weights, tensor, {
    cache,
    lastPositionOnly: true,
    ...(prompt ? { prompt } : {}),
  });
  tensor.dispose();
  const logits = result.logits.dataSync() as Float32Array;
  result.logits.dispose();
  if (input.ownsCache) disposeKvCache(cache);
  if (input.samplable < logits.length) logits.fill(Number.NEGATIVE_INFINITY, input.samplable);
  return { logits, cache: result.cache as KvCache };
}

/**
 * Generates a continuation of `promptIds` (one sequence), optionally behind a soft prompt, given either
 * as the prompt itself or as its precomputed prefix (the same tokens either way).
 */
export function generate(
  config: Gpt2Config,
  weights: Gpt2Weights,
  promptIds: readonly number[],
  options: GenerateOptions,
): GenerateResult {
  checkOptions(config, promptIds, options);
  const { temperature = 1, topP = 1, stop = [], decode } = options;
  const random = seededRandom(options.seed ?? Math.floor(Math.random() * 2 ** 32));
  const tokens: number[] = [];
  const logprobs: number[] = [];
  const topLogprobs: TokenLogprob[][] = [];
  const topCount = options.topLogprobs ?? 0;
  const samplable = options.samplableVocabSize ?? config.vocab_size;
  let finishReason: FinishReason = 'length';
  let text: string | undefined;
  let state = step(config, weights, {
    ids: promptIds,
    cache: options.prefix?.cache ?? emptyKvCache(),
    ownsCache: !options.prefix,
    prompt: options.prompt,
    samplable,
  });
  try {
    while (tokens.length < options.maxTokens) {
      const token = sampleToken(state.logits, temperature, topP, random);
      if (token === options.eosTokenId) {
        finishReason = 'stop';
        break;
      }
      tokens.push(token);
      const distribution = logSoftmax(state.logits);
      logprobs.push(distribution[token] as number);
      if (topCount > 0) topLogprobs.push(topOf(distribution, topCount));
      if (decode && stop.length > 0) {
        const decoded = decode(tokens);
        const at = stopIndex(decoded, stop);
        if (at >= 0) {
          text = decoded.slice(0, at);
          finishReason = 'stop';
          break;
        }
      }
      if (tokens.length < options.maxTokens) {
        state = step(config, weights, {
          ids: [token],
          cache: state.cache,
          ownsCache: true,
          prompt: undefined,
          samplable,
        });
      }
    }
  } finally {
    disposeKvCache(state.cache);
  }
  if (decode && text === undefined) text = decode(tokens);
  return {
    tokens,
    logprobs,
    finishReason,
    ...(text === undefined ? {} : { text }),
    ...(topCount > 0 ? { topLogprobs } : {}),
  };
}

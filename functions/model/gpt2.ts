import * as tf from '@tensorflow/tfjs';
import { FormatError } from '#core/errors.ts';
import type { Gpt2Config } from '#core/gpt2-config.ts';
import { ContextLengthError, ModelInputError } from '#model/errors.ts';
import { fusedGelu, fusedLayerNorm, hasFusedKernels } from '#model/kernels/fused-ops.ts';
import { linear as fusedLinear, hasLinearKernel } from '#model/kernels/linear.ts';
import type { KvCache, LayerKv } from '#model/kv-cache.ts';

/**
 * The weights of a GPT-2 model keyed by Hugging Face's tensor names (without the `transformer.` prefix),
 * in HF's layouts (Conv1D weights are `[in, out]`), so a public checkpoint maps onto them one to one.
 */
export type Gpt2Weights = Map<string, tf.Variable>;

/** Every tensor a GPT-2 model has, with its shape: what a checkpoint must contain and what init creates. */
export function gpt2WeightShapes(config: Gpt2Config): Map<string, number[]> {
  const c = config.n_embd;
  const shapes = new Map<string, number[]>([
    ['wte.weight', [config.vocab_size, c]],
    ['wpe.weight', [config.n_positions, c]],
  ]);
  for (let i = 0; i < config.n_layer; i++) {
    const p = `h.${i}`;
    shapes.set(`${p}.ln_1.weight`, [c]).set(`${p}.ln_1.bias`, [c]);
    shapes.set(`${p}.attn.c_attn.weight`, [c, 3 * c]).set(`${p}.attn.c_attn.bias`, [3 * c]);
    shapes.set(`${p}.attn.c_proj.weight`, [c, c]).set(`${p}.attn.c_proj.bias`, [c]);
    shapes.set(`${p}.ln_2.weight`, [c]).set(`${p}.ln_2.bias`, [c]);
    shapes.set(`${p}.mlp.c_fc.weight`, [c, 4 * c]).set(`${p}.mlp.c_fc.bias`, [4 * c]);
    shapes.set(`${p}.mlp.c_proj.weight`, [4 * c, c]).set(`${p}.mlp.c_proj.bias`, [c]);
  }
  shapes.set('ln_f.weight', [c]).set('ln_f.bias', [c]);
  return shapes;
}

/**
 * GPT-2's initialisation (normal(0, 0.02) weights, residual projections scaled by 1/sqrt(2·n_layer),
 * zero biases, unit LayerNorm gains), deterministic for a seed. Variables are trainable so full
 * fine-tuning can optimise them; they are unnamed because TF.js variable names must be globally unique.
 */
export function initGpt2Weights(config: Gpt2Config, seed: number): Gpt2Weights {
  const weights: Gpt2Weights = new Map();
  const projStd = 0.02 / Math.sqrt(2 * config.n_layer);
  let index = 0;
  for (const [name, shape] of gpt2WeightShapes(config)) {
    index += 1;
    const init = tf.tidy(() => {
      if (name.endsWith('.bias')) return tf.zeros(shape);
      if (/ln_\d\.weight$|ln_f\.weight$/.test(name)) return tf.ones(shape);
      const std = name.endsWith('c_proj.weight') ? projStd : 0.02;
      return tf.randomNormal(shape, 0, std, 'float32', seed * 1000 + index);
    });
    weights.set(name, tf.variable(init, true));
    init.dispose();
  }
  return weights;
}

/** Frees every variable of a model. */
export function disposeGpt2Weights(weights: Gpt2Weights): void {
  for (const v of weights.values()) v.dispose();
}

export interface Gpt2ForwardOptions {
  /** `[B, T]`: 1 for a real token, 0 for padding; padding is never attended. Default: all ones. */
  attentionMask?: tf.Tensor2D;
  /** Soft prompt `[P, n_embd]` prepended to the input embeddings at positions 0..P-1, always attended. */
  prompt?: tf.Tensor2D;
  /** Keys/values of earlier positions; when given, the result carries the extended cache. */
  cache?: KvCache;
  /**
   * Compute logits for the last position only (`[B, 1, vocab]`): all that generation needs, and it skips
   * the `[B·T, vocab]` product that dominates a long prompt's prefill.
   */
  lastPositionOnly?: boolean;
  /**
   * Flat indices (int32) into the `[B·(P + T)]` positions, row-major by example, at which to compute
   * logits; the result is then `[1, N, vocab]`. Training passes the positions that count in the loss, so
   * the final LayerNorm, the `[·, vocab]` LM-head product and the softmax skip the rest (the soft
   * prompt's positions, padding, tokens not trained on). Not combinable with `lastPositionOnly`.
   */
  logitRows?: tf.Tensor1D;
}

export interface Gpt2ForwardResult {
  /**
   * `[B, P + T, vocab]` (P: the prompt length when a prompt was passed, else 0), `[B, 1, vocab]` with
   * `lastPositionOnly`, or `[1, N, vocab]` with `logitRows`.
   */
  logits: tf.Tensor3D;
  cache?: KvCache;
}

function weight(weights: Gpt2Weights, name: string): tf.Variable {
  const w = weights.get(name);
  if (!w) throw new FormatError(`GPT-2 weights lack "${name}"`);
  return w;
}

/** LayerNorm over the last axis: one fused kernel each way where the backend has it (wasm), else tf ops. */
function layerNorm(x: tf.Tensor2D, gain: tf.Tensor, bias: tf.Tensor, eps: number): tf.Tensor2D {
  if (hasFusedKernels()) return fusedLayerNorm(x, gain, bias, eps);
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), gain), bias) as tf.Tensor2D;
}

/**
 * `x · w + b` on 2-D `x` only: the stock wasm `_FusedMatMul` adds the bias wrongly over a batch, and
 * tfjs-core's fused gradient does not sum a broadcast 2-D `w` over a batch; a flat `[B*T, C]` avoids both.
 * On wasm, Attune's linear kernel computes only the gradients the tape asks for, so prompt tuning (frozen
 * weights) skips every weight and bias gradient.
 */
function linear(x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  if (hasLinearKernel()) return fusedLinear(x, w, b);
  return tf.fused.matMul({ a: x, b: w as tf.Tensor2D, bias: b }) as tf.Tensor2D;
}

/**
 * GELU, tanh approximation (GPT-2's `gelu_new`): one fused kernel each way where the backend has it
 * (wasm), else tf ops with x·x·x rather than `pow`, which is slow on wasm.
 */
function gelu(x: tf.Tensor2D): tf.Tensor2D {
  if (hasFusedKernels()) return fusedGelu(x);
  const cube = tf.mul(tf.mul(x, x), x);
  const inner = tf.mul(tf.add(x, tf.mul(cube, 0.044715)), Math.sqrt(2 / Math.PI));
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
}

/** `[B*T, C]` → `[B, H, T, D]`. */
function splitHeads(x: tf.Tensor2D, batch: number, time: number, heads: number): tf.Tensor4D {
  const d = x.shape[1] / heads;
  return tf.transpose(tf.reshape(x, [batch, time, heads, d]), [0, 2, 1, 3]);
}

/**
 * Additive attention bias `[B, 1, Tq, Tk]`: 0 where query i (absolute position past+i) may see key j
 * (j ≤ past+i and key j is not padding), -1e9 elsewhere. Built from constants: no gradient flows here.
 */
function attentionBias(keyMask: tf.Tensor2D, past: number, queries: number): tf.Tensor4D {
  const keys = past + queries;
  const causal = new Float32Array(queries * keys);
  for (let i = 0; i < queries; i++) causal.fill(1, i * keys, i * keys + past + i + 1);
  const allowed = tf.mul(
    tf.tensor4d(causal, [1, 1, queries, keys]),
    tf.expandDims(tf.expandDims(keyMask, 1), 1),
  );
  return tf.mul(tf.sub(allowed, 1), 1e9) as tf.Tensor4D;
}

interface BlockInput {
  x: tf.Tensor2D;
  batch: number;
  time: number;
  bias: tf.Tensor4D;
  past: LayerKv | undefined;
}

function block(config: Gpt2Config, weights: Gpt2Weights, i: number, input: BlockInput) {
  const w = (name: string) => weight(weights, `h.${i}.${name}`);
  const { x, batch, time, bias, past } = input;
  const c = config.n_embd;
  const eps = config.layer_norm_epsilon;
  const h = layerNorm(x, w('ln_1.weight'), w('ln_1.bias'), eps);
  const [q, kNew, vNew] = tf.split(linear(h, w('attn.c_attn.weight'), w('attn.c_attn.bias')), 3, 1) as [
    tf.Tensor2D,
    tf.Tensor2D,
    tf.Tensor2D,
  ];
  const heads = config.n_head;
  let key = splitHeads(kNew, batch, time, heads);
  let value = splitHeads(vNew, batch, time, heads);
  if (past) {
    key = tf.concat([past.key, key], 2);
    value = tf.concat([past.value, value], 2);
  }
  // Scaling q ([T, D] per head) is cheaper than scaling the scores ([T, T] per head).
  const query = splitHeads(tf.mul(q, 1 / Math.sqrt(c / heads)), batch, time, heads);
  const scores = tf.matMul(query, key, false, true);
  const attended = tf.matMul(tf.softmax(tf.add(scores, bias)), value);
  const merged = tf.reshape(tf.transpose(attended, [0, 2, 1, 3]), [batch * time, c]) as tf.Tensor2D;
  const afterAttn = tf.add(x, linear(merged, w('attn.c_proj.weight'), w('attn.c_proj.bias'))) as tf.Tensor2D;
  const h2 = layerNorm(afterAttn, w('ln_2.weight'), w('ln_2.bias'), eps);
  const mlp = linear(
    gelu(linear(h2, w('mlp.c_fc.weight'), w('mlp.c_fc.bias'))),
    w('mlp.c_proj.weight'),
    w('mlp.c_proj.bias'),
  );
  return { x: tf.add(afterAttn, mlp) as tf.Tensor2D, kv: { key, value } };
}

function checkInputs(config: Gpt2Config, inputIds: tf.Tensor2D, options: Gpt2ForwardOptions): number {
  const [batch, time] = inputIds.shape;
  const promptLength = options.prompt?.shape[0] ?? 0;
  const past = options.cache?.length ?? 0;
  if (options.prompt && options.prompt.shape[1] !== config.n_embd) {
    throw new ModelInputError(`soft prompt width ${options.prompt.shape[1]} is not n_embd ${config.n_embd}`);
  }
  if (options.prompt && past > 0) {
    throw new ModelInputError(
      'a soft prompt can only be attached at the start of a sequence (cache not empty)',
    );
  }
  const mask = options.attentionMask;
  if (mask && (mask.shape[0] !== batch || mask.shape[1] !== time)) {
    throw new ModelInputError(
      `attention mask [${mask.shape.join(', ')}] does not match input ids [${batch}, ${time}]`,
    );
  }
  if (options.logitRows && options.lastPositionOnly) {
    throw new ModelInputError('logitRows and lastPositionOnly cannot be combined');
  }
  const cacheBatch = options.cache?.mask?.shape[0];
  if (cacheBatch !== undefined && cacheBatch !== batch) {
    throw new ModelInputError(`cache batch ${cacheBatch} does not match input batch ${batch}`);
  }
  const total = past + promptLength + time;
  if (total > config.n_positions) {
    throw new ContextLengthError(
      `${total} positions (${past} cached + ${promptLength} virtual + ${time} new) exceed the context of ${config.n_positions}`,
      { positions: total, contextLength: config.n_positions },
    );
  }
  return promptLength;
}

/**
 * The GPT-2 forward pass: token + position embeddings (soft prompt first, at positions 0..P-1), pre-LN
 * blocks with causal, padding-masked multi-head attention, final LayerNorm, logits from the tied `wte`.
 * Differentiable w.r.t. weights and prompt, so it runs inside `tf.variableGrads` / `optimizer.minimize`.
 */
export function gpt2Forward(
  config: Gpt2Config,
  weights: Gpt2Weights,
  inputIds: tf.Tensor2D,
  options: Gpt2ForwardOptions = {},
): Gpt2ForwardResult {
  const promptLength = checkInputs(config, inputIds, options);
  // tidy keeps the tensors reachable from the result (logits, new cache) and frees every intermediate.
  return tf.tidy(
    () => forwardInScope(config, weights, inputIds, options, promptLength) as unknown as tf.TensorContainer,
  ) as unknown as Gpt2ForwardResult;
}

function forwardInScope(
  config: Gpt2Config,
  weights: Gpt2Weights,
  inputIds: tf.Tensor2D,
  options: Gpt2ForwardOptions,
  promptLength: number,
): Gpt2ForwardResult {
  const [batch, textLength] = inputIds.shape;
  const time = promptLength + textLength;
  const past = options.cache?.length ?? 0;
  const c = config.n_embd;
  const wte = weight(weights, 'wte.weight');
  let embeddings = tf.gather(wte, tf.cast(inputIds, 'int32')) as tf.Tensor3D;
  let keyMask = options.attentionMask
    ? tf.cast(options.attentionMask, 'float32')
    : tf.ones([batch, textLength]);
  if (options.prompt) {
    const prompt = tf.broadcastTo(tf.expandDims(options.prompt, 0), [batch, promptLength, c]);
    embeddings = tf.concat([prompt, embeddings], 1) as tf.Tensor3D;
    keyMask = tf.concat([tf.ones([batch, promptLength]), keyMask], 1);
  }
  const positions = tf.slice(weight(weights, 'wpe.weight'), [past, 0], [time, c]);
  let x = tf.reshape(tf.add(embeddings, positions), [batch * time, c]) as tf.Tensor2D;
  const fullMask = options.cache?.mask ? tf.concat([options.cache.mask, keyMask], 1) : keyMask;
  const bias = attentionBias(fullMask as tf.Tensor2D, past, time);
  const layers: LayerKv[] = [];
  for (let i = 0; i < config.n_layer; i++) {
    const out = block(config, weights, i, { x, batch, time, bias, past: options.cache?.layers[i] });
    x = out.x;
    layers.push(out.kv);
  }
  let logitShape: [number, number, number] = [batch, options.lastPositionOnly ? 1 : time, config.vocab_size];
  if (options.lastPositionOnly) {
    const last = tf.slice(tf.reshape(x, [batch, time, c]), [0, time - 1, 0], [batch, 1, c]);
    x = tf.reshape(last, [batch, c]) as tf.Tensor2D;
  } else if (options.logitRows) {
    x = tf.gather(x, tf.cast(options.logitRows, 'int32')) as tf.Tensor2D;
    logitShape = [1, options.logitRows.shape[0], config.vocab_size];
  }
  const h = layerNorm(
    x,
    weight(weights, 'ln_f.weight'),
    weight(weights, 'ln_f.bias'),
    config.layer_norm_epsilon,
  );
  const logits = tf.reshape(tf.matMul(h, wte, false, true), logitShape) as tf.Tensor3D;
  if (!options.cache) return { logits };
  return { logits, cache: { layers, mask: fullMask as tf.Tensor2D, length: past + time } };
}

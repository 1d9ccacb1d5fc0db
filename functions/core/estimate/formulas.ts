import type { ModelShape } from '#core/estimate/model-catalog.ts';

/**
 * The arithmetic of a training run, as pure functions. Each returns its value with the formula it used,
 * because an estimate a team cannot check is an estimate a team cannot trust.
 */

/** The two kinds of training run; `hybrid` is one of each, the second over the first's output. */
export type RunMethod = 'supervised' | 'prompt_tuning';
export type EstimateMethod = RunMethod | 'hybrid';
export const ESTIMATE_METHODS: readonly EstimateMethod[] = ['supervised', 'prompt_tuning', 'hybrid'];

/** A figure and the formula, with its numbers, that produced it. */
export interface Quantity {
  readonly value: number;
  readonly formula: string;
}

/** What the estimator knows about the training data. */
export interface DataProfile {
  readonly examples: number;
  /** Mean tokens per example, before truncation. */
  readonly meanTokens: number;
  /** The longest example a batch is likely to hold (the file's p95, or the mean when only totals are known). */
  readonly longTokens: number;
  /** Tokens in the validation file, if any (evaluated once per epoch). */
  readonly validationTokens: number;
}

/** The hyper-parameters of one run with every "auto" resolved. */
export interface RunShape {
  readonly method: RunMethod;
  readonly epochs: number;
  readonly batchSize: number;
  /** Soft-prompt length; 0 for a fine-tuning run. */
  readonly virtualTokens: number;
}

/** Bytes of one config.json/adapter_config.json stored beside the weights (rounded up). */
export const CONFIG_BYTES = 1024;
const FP32_BYTES = 4;

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** Full fine-tuning trains every weight (N); prompt tuning only the soft prompt, v × d (Lester et al. 2021). */
export function trainableParameters(model: ModelShape, parameters: number, run: RunShape): Quantity {
  if (run.method === 'supervised') return { value: parameters, formula: `N = ${fmt(parameters)}` };
  const value = run.virtualTokens * model.n_embd;
  return {
    value,
    formula: `num_virtual_tokens × n_embd = ${run.virtualTokens} × ${model.n_embd} = ${fmt(value)}`,
  };
}

/** The context left for data: the model's positions, less the virtual tokens a soft prompt occupies. */
export function dataContext(model: ModelShape, run: RunShape): number {
  return model.n_positions - run.virtualTokens;
}

/**
 * Data tokens the run trains on: examples × epochs × mean tokens, each example cut to the context.
 * Cutting the mean (rather than every example) is an upper bound when only a few examples are long.
 */
export function trainingTokens(model: ModelShape, data: DataProfile, run: RunShape): Quantity {
  const context = dataContext(model, run);
  const perExample = Math.min(data.meanTokens, context);
  const value = data.examples * run.epochs * perExample;
  return {
    value,
    formula: `examples × epochs × min(mean tokens, context) = ${fmt(data.examples)} × ${run.epochs} × min(${data.meanTokens}, ${context}) = ${fmt(value)}`,
  };
}

/** Sequence length a step holds in memory: the long examples, cut to the context, plus the virtual tokens. */
export function peakSequenceLength(model: ModelShape, data: DataProfile, run: RunShape): number {
  return Math.min(Math.ceil(data.longTokens), dataContext(model, run)) + run.virtualTokens;
}

/**
 * Training FLOPs after Kaplan et al. 2020 (C_forward ≈ 2N + 2·n_layer·n_ctx·d per token):
 * - fine-tuning: forward + backward through activations + weight gradients = 3 × forward:
 *   6·N·T + 6·n_layer·n_ctx·n_embd·T;
 * - prompt tuning: forward + activation gradients, no weight gradients = 2 × forward, over every position
 *   the model processes (data tokens plus v virtual tokens per sequence, P = T + examples·epochs·v):
 *   4·N·P + 4·n_layer·n_ctx·n_embd·P.
 * n_ctx is the mean sequence length actually attended over. A validation file adds one forward pass per
 * epoch: 2·N·T_val·epochs.
 */
export function trainingFlops(
  model: ModelShape,
  parameters: number,
  data: DataProfile,
  run: RunShape,
  tokens: number,
): Quantity {
  const factor = run.method === 'supervised' ? 6 : 4;
  const sequences = data.examples * run.epochs;
  const processed = tokens + sequences * run.virtualTokens;
  const nCtx = Math.min(data.meanTokens, dataContext(model, run)) + run.virtualTokens;
  const perToken = factor * parameters + factor * model.n_layer * nCtx * model.n_embd;
  const evaluation = 2 * parameters * data.validationTokens * run.epochs;
  const value = perToken * processed + evaluation;
  const positions =
    run.method === 'supervised' ? `T = ${fmt(processed)}` : `P = T + examples·epochs·v = ${fmt(processed)}`;
  const symbol = run.method === 'supervised' ? 'T' : 'P';
  const evalPart =
    evaluation > 0 ? ` + 2·N·T_val·epochs (validation, ${fmt(data.validationTokens)} tokens)` : '';
  return {
    value,
    formula: `${factor}·N·${symbol} + ${factor}·n_layer·n_ctx·n_embd·${symbol}${evalPart}, N = ${fmt(parameters)}, n_layer = ${model.n_layer}, n_ctx = ${fmt(nCtx)}, n_embd = ${model.n_embd}, ${positions}`,
  };
}

/**
 * What the run stores: a fine-tune writes every weight as fp32 safetensors (4·N bytes) plus config.json;
 * a prompt-tune writes the soft prompt (v × d × 4 bytes) plus adapter_config.json, in PEFT's format.
 */
export function artifactBytes(model: ModelShape, parameters: number, run: RunShape): Quantity {
  if (run.method === 'supervised') {
    const value = FP32_BYTES * parameters + CONFIG_BYTES;
    return { value, formula: `4 bytes × N + config.json = 4 × ${fmt(parameters)} + ${CONFIG_BYTES}` };
  }
  const value = FP32_BYTES * run.virtualTokens * model.n_embd + CONFIG_BYTES;
  return {
    value,
    formula: `4 bytes × num_virtual_tokens × n_embd + adapter_config.json = 4 × ${run.virtualTokens} × ${model.n_embd} + ${CONFIG_BYTES}`,
  };
}

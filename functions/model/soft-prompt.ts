import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { FormatError } from '#core/errors.ts';
import type { Gpt2Config } from '#core/gpt2-config.ts';
import { PROMPT_TUNING_INITS, type PromptTuningInit } from '#core/hyperparameters.ts';
import { ModelInputError } from '#model/errors.ts';
import type { Gpt2Weights } from '#model/gpt2.ts';
import { readRequiredFiles } from '#model/required-files.ts';
import { readSafetensors, type SafeTensor, toFloat32, writeSafetensors } from '#model/safetensors.ts';

/**
 * Soft prompts (Lester et al. 2021) with PEFT's initialisations and PEFT's on-disk format, so a prompt
 * tuned here loads with `PeftModel.from_pretrained` and a PEFT prompt loads here.
 */

export const ADAPTER_CONFIG_FILE = 'adapter_config.json';
export const ADAPTER_WEIGHTS_FILE = 'adapter_model.safetensors';
const TENSOR_NAME = 'prompt_embeddings';

export interface InitSoftPromptOptions {
  init: PromptTuningInit;
  numVirtualTokens: number;
  weights: Gpt2Weights;
  config: Gpt2Config;
  /** The tokenised `prompt_tuning_init_text`; required for TEXT. */
  initTextIds?: readonly number[];
  seed: number;
}

/** Token ids for TEXT init, as PEFT does: the text's ids repeated to cover the prompt, then truncated. */
function textInitIds(ids: readonly number[], count: number): number[] {
  const repeats = Math.ceil(count / ids.length);
  return Array.from({ length: repeats }, () => ids)
    .flat()
    .slice(0, count);
}

/**
 * A trainable `[numVirtualTokens, n_embd]` prompt. RANDOM draws N(0, 1) (PEFT's `nn.Embedding` default);
 * SAMPLE_VOCAB copies rows of `wte` for uniformly drawn token ids; TEXT copies the rows of the init
 * text's tokens, repeated or truncated to the prompt length.
 */
export function initSoftPrompt(options: InitSoftPromptOptions): tf.Variable<tf.Rank.R2> {
  const { init, numVirtualTokens: count, config, seed } = options;
  if (!Number.isInteger(count) || count < 1) {
    throw new ModelInputError(`num_virtual_tokens must be a positive integer, got ${count}`, {
      param: 'num_virtual_tokens',
    });
  }
  const wte = options.weights.get('wte.weight');
  if (!wte) throw new FormatError('GPT-2 weights lack "wte.weight"');
  let ids: number[] | undefined;
  if (init === 'TEXT') {
    const textIds = options.initTextIds ?? [];
    if (textIds.length === 0) {
      throw new ModelInputError('TEXT init needs the tokens of prompt_tuning_init_text', {
        param: 'prompt_tuning_init_text',
      });
    }
    const bad = textIds.find((id) => !Number.isInteger(id) || id < 0 || id >= config.vocab_size);
    if (bad !== undefined) throw new ModelInputError(`init text token id ${bad} is outside the vocabulary`);
    ids = textInitIds(textIds, count);
  } else if (init === 'SAMPLE_VOCAB') {
    ids = Array.from(tf.tidy(() => tf.randomUniformInt([count], 0, config.vocab_size, seed).dataSync()));
  }
  const value = tf.tidy(() =>
    ids
      ? tf.gather(wte, tf.tensor1d(ids, 'int32'))
      : tf.randomNormal([count, config.n_embd], 0, 1, 'float32', seed),
  ) as tf.Tensor2D;
  const prompt = tf.variable(value, true);
  value.dispose();
  return prompt;
}

/** What a PEFT prompt-tuning adapter records about itself (the parts Attune reads and writes). */
export interface PeftPromptConfig {
  baseModelNameOrPath: string;
  numVirtualTokens: number;
  tokenDim: number;
  promptTuningInit: PromptTuningInit;
  promptTuningInitText: string | null;
  numLayers?: number;
  numAttentionHeads?: number;
}

/**
 * The adapter config of a prompt a training run produced: what the run resolved (init, text, virtual
 * tokens) and the shape of the model it was tuned on. One place, so the trainer process and local
 * training write the same `adapter_config.json`.
 */
export function trainedPromptConfig(
  baseModelNameOrPath: string,
  config: Pick<Gpt2Config, 'n_embd' | 'n_layer' | 'n_head'>,
  hyperparameters: {
    num_virtual_tokens?: number;
    prompt_tuning_init?: PromptTuningInit;
    prompt_tuning_init_text?: string | null;
  },
  promptRows: number,
): PeftPromptConfig {
  return {
    baseModelNameOrPath,
    numVirtualTokens: hyperparameters.num_virtual_tokens ?? promptRows,
    tokenDim: config.n_embd,
    promptTuningInit: hyperparameters.prompt_tuning_init ?? 'SAMPLE_VOCAB',
    promptTuningInitText: hyperparameters.prompt_tuning_init_text ?? null,
    numLayers: config.n_layer,
    numAttentionHeads: config.n_head,
  };
}

/** PEFT's `PromptTuningConfig.to_dict()` keys, with the values PEFT would write for a causal LM. */
export function peftAdapterConfigJson(c: PeftPromptConfig): Record<string, unknown> {
  return {
    auto_mapping: null,
    base_model_name_or_path: c.baseModelNameOrPath,
    inference_mode: true,
    num_attention_heads: c.numAttentionHeads ?? null,
    num_layers: c.numLayers ?? null,
    num_transformer_submodules: 1,
    num_virtual_tokens: c.numVirtualTokens,
    peft_type: 'PROMPT_TUNING',
    prompt_tuning_init: c.promptTuningInit,
    prompt_tuning_init_text: c.promptTuningInitText,
    revision: null,
    task_type: 'CAUSAL_LM',
    token_dim: c.tokenDim,
    tokenizer_kwargs: null,
    // PEFT requires a tokenizer for TEXT init; the base model directory carries it.
    tokenizer_name_or_path: c.promptTuningInit === 'TEXT' ? c.baseModelNameOrPath : null,
  };
}

const adapterSchema = z.object({
  peft_type: z.literal('PROMPT_TUNING'),
  task_type: z.literal('CAUSAL_LM').nullish(),
  num_virtual_tokens: z.number().int().positive(),
  token_dim: z.number().int().positive(),
  num_transformer_submodules: z.literal(1).nullish(),
  prompt_tuning_init: z.enum(PROMPT_TUNING_INITS).default('RANDOM'),
  prompt_tuning_init_text: z.string().nullish(),
  base_model_name_or_path: z.string().nullish(),
  num_layers: z.number().int().nullish(),
  num_attention_heads: z.number().int().nullish(),
});

/** Parses `adapter_config.json`; a FormatError names what is wrong (another PEFT method, bad sizes). */
export function parsePeftAdapterConfig(json: unknown): PeftPromptConfig {
  const result = adapterSchema.safeParse(json);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new FormatError(`invalid ${ADAPTER_CONFIG_FILE}: ${problems.join('; ')}`, { cause: result.error });
  }
  const c = result.data;
  const config: PeftPromptConfig = {
    baseModelNameOrPath: c.base_model_name_or_path ?? '',
    numVirtualTokens: c.num_virtual_tokens,
    tokenDim: c.token_dim,
    promptTuningInit: c.prompt_tuning_init,
    promptTuningInitText: c.prompt_tuning_init_text ?? null,
  };
  if (c.num_layers != null) config.numLayers = c.num_layers;
  if (c.num_attention_heads != null) config.numAttentionHeads = c.num_attention_heads;
  return config;
}

export interface PeftPromptFiles {
  adapterConfigJson: string;
  adapterModel: Uint8Array;
}

/** The two files of a PEFT prompt adapter as bytes (for S3 as well as disk). */
export function peftPromptToFiles(prompt: tf.Tensor2D, config: PeftPromptConfig): PeftPromptFiles {
  const [count, dim] = prompt.shape;
  if (count !== config.numVirtualTokens || dim !== config.tokenDim) {
    throw new ModelInputError(
      `prompt [${count}, ${dim}] does not match num_virtual_tokens ${config.numVirtualTokens} × token_dim ${config.tokenDim}`,
    );
  }
  const tensor: SafeTensor = { dtype: 'F32', shape: [count, dim], data: prompt.dataSync() as Float32Array };
  return {
    adapterConfigJson: `${JSON.stringify(peftAdapterConfigJson(config), null, 2)}\n`,
    adapterModel: writeSafetensors(new Map([[TENSOR_NAME, tensor]]), { format: 'pt' }),
  };
}

/** Reads a PEFT prompt adapter from its two files, checking the tensor against the config. */
export function peftPromptFromFiles(files: PeftPromptFiles): {
  prompt: tf.Variable<tf.Rank.R2>;
  config: PeftPromptConfig;
} {
  let json: unknown;
  try {
    json = JSON.parse(files.adapterConfigJson);
  } catch (cause) {
    throw new FormatError(`${ADAPTER_CONFIG_FILE} is not JSON`, { cause });
  }
  const config = parsePeftAdapterConfig(json);
  const tensor = readSafetensors(files.adapterModel).get(TENSOR_NAME);
  if (!tensor) throw new FormatError(`${ADAPTER_WEIGHTS_FILE} has no "${TENSOR_NAME}" tensor`);
  const expected = [config.numVirtualTokens, config.tokenDim];
  if (tensor.shape.join(',') !== expected.join(',')) {
    throw new FormatError(
      `${ADAPTER_WEIGHTS_FILE}: "${TENSOR_NAME}" has shape [${tensor.shape.join(', ')}], adapter_config says [${expected.join(', ')}]`,
    );
  }
  const value = tf.tensor2d(toFloat32(TENSOR_NAME, tensor), expected as [number, number]);
  const prompt = tf.variable(value, true);
  value.dispose();
  return { prompt, config };
}

/** Writes `adapter_config.json` and `adapter_model.safetensors` into `dir`. */
export async function savePeftPrompt(
  dir: string,
  prompt: tf.Tensor2D,
  adapterConfig: PeftPromptConfig,
): Promise<void> {
  const files = peftPromptToFiles(prompt, adapterConfig);
  await mkdir(dir, { recursive: true });
  await Promise.all([
    writeFile(path.join(dir, ADAPTER_CONFIG_FILE), files.adapterConfigJson),
    writeFile(path.join(dir, ADAPTER_WEIGHTS_FILE), files.adapterModel),
  ]);
}

/** Reads a PEFT prompt-tuning adapter directory (ours or one saved by PEFT). */
export async function loadPeftPrompt(
  dir: string,
): Promise<{ prompt: tf.Variable<tf.Rank.R2>; config: PeftPromptConfig }> {
  const [configBytes, weightBytes] = await readRequiredFiles(
    dir,
    [ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE],
    'prompt adapter directory',
  );
  return peftPromptFromFiles({
    adapterConfigJson: configBytes.toString('utf8'),
    adapterModel: new Uint8Array(weightBytes),
  });
}

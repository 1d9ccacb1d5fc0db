import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { FormatError } from '#core/errors.ts';
import type { Gpt2Config } from '#core/gpt2-config.ts';
import { gpt2ConfigToJson, parseGpt2Config } from '#model/config.ts';
import { type Gpt2Weights, gpt2WeightShapes } from '#model/gpt2.ts';
import { readRequiredFiles } from '#model/required-files.ts';
import { readSafetensors, type SafeTensor, toFloat32, writeSafetensors } from '#model/safetensors.ts';

/**
 * A model directory in the layout public GPT-2 checkpoints use (`config.json`, `model.safetensors`,
 * `tokenizer.json`), so a user can bring one from the Hugging Face Hub and take ours back to it.
 */

export const CONFIG_FILE = 'config.json';
export const WEIGHTS_FILE = 'model.safetensors';
export const TOKENIZER_FILE = 'tokenizer.json';

export interface ModelDir {
  config: Gpt2Config;
  weights: Gpt2Weights;
  tokenizerJson: string;
}

/** Tensors a HF checkpoint may carry that are not weights: causal-mask buffers and the tied LM head. */
const IGNORED = /^(h\.\d+\.attn\.(bias|masked_bias)|lm_head\.weight)$/;

/**
 * Turns checkpoint tensors into model variables, checking every expected tensor is present with its
 * GPT-2 shape. Accepts `GPT2LMHeadModel` names (`transformer.` prefix) as well as `GPT2Model` names.
 */
export function weightsFromSafetensors(config: Gpt2Config, tensors: Map<string, SafeTensor>): Gpt2Weights {
  const expected = gpt2WeightShapes(config);
  const byName = new Map<string, SafeTensor>();
  for (const [rawName, tensor] of tensors) {
    const name = rawName.startsWith('transformer.') ? rawName.slice('transformer.'.length) : rawName;
    if (IGNORED.test(name)) continue;
    if (!expected.has(name)) throw new FormatError(`model.safetensors: unexpected tensor "${rawName}"`);
    byName.set(name, tensor);
  }
  const weights: Gpt2Weights = new Map();
  try {
    for (const [name, shape] of expected) {
      const tensor = byName.get(name);
      if (!tensor) throw new FormatError(`model.safetensors: missing tensor "${name}"`);
      if (tensor.shape.join(',') !== shape.join(',')) {
        throw new FormatError(
          `model.safetensors: tensor "${name}" has shape [${tensor.shape.join(', ')}], config needs [${shape.join(', ')}]`,
        );
      }
      const value = tf.tensor(toFloat32(name, tensor), shape, 'float32');
      weights.set(name, tf.variable(value, true));
      value.dispose();
    }
  } catch (error) {
    for (const v of weights.values()) v.dispose();
    throw error;
  }
  return weights;
}

/** The model's weights as float32 safetensors under GPT-2's names. */
export function weightsToSafetensors(weights: Gpt2Weights): Uint8Array {
  const tensors = new Map<string, SafeTensor>();
  for (const [name, v] of weights) {
    tensors.set(name, { dtype: 'F32', shape: [...v.shape], data: v.dataSync() as Float32Array });
  }
  return writeSafetensors(tensors, { format: 'pt' });
}

/** Reads and validates a model directory. */
export async function loadModelDir(dir: string): Promise<ModelDir> {
  const [configBytes, weightBytes, tokenizerBytes] = await readRequiredFiles(
    dir,
    [CONFIG_FILE, WEIGHTS_FILE, TOKENIZER_FILE],
    'model directory',
  );
  let configJson: unknown;
  try {
    configJson = JSON.parse(configBytes.toString('utf8'));
  } catch (cause) {
    throw new FormatError(`${path.join(dir, CONFIG_FILE)} is not JSON`, { cause });
  }
  const config = parseGpt2Config(configJson);
  const weights = weightsFromSafetensors(config, readSafetensors(new Uint8Array(weightBytes)));
  return { config, weights, tokenizerJson: tokenizerBytes.toString('utf8') };
}

/** Writes a model directory that `loadModelDir` and `transformers`' `from_pretrained` both read. */
export async function saveModelDir(dir: string, model: ModelDir): Promise<void> {
  await mkdir(dir, { recursive: true });
  await Promise.all([
    writeFile(path.join(dir, CONFIG_FILE), `${JSON.stringify(gpt2ConfigToJson(model.config), null, 2)}\n`),
    writeFile(path.join(dir, WEIGHTS_FILE), weightsToSafetensors(model.weights)),
    writeFile(path.join(dir, TOKENIZER_FILE), model.tokenizerJson),
  ]);
}

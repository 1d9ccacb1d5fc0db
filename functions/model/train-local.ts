import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_VIRTUAL_TOKENS, parseHyperparameters, type TrainingMethod } from '#core/hyperparameters.ts';
import { parseTrainingJsonl, prepareExamples, type TokenizedExample, textWindows } from '#model/data.ts';
import { disposeGpt2Weights } from '#model/gpt2.ts';
import type { StepMetrics, TrainingMetrics } from '#model/metrics.ts';
import { loadModelDir, saveModelDir } from '#model/model-dir.ts';
import { savePeftPrompt, trainedPromptConfig } from '#model/soft-prompt.ts';
import { loadTokenizer } from '#model/tokenizer.ts';
import { trainModel } from '#model/train.ts';
import type { ResolvedHyperparameters } from '#model/train-hyperparameters.ts';

/**
 * Training from files on disk to files on disk: the `attune train` command, and the quickest way to see
 * what a dataset does to a model without the API. The output is what the cloud trainer uploads: a model
 * directory (full fine-tuning, pre-training) or a PEFT prompt adapter (prompt tuning, hybrid).
 */

/** The record written beside the artifact, so a directory says how it was made. */
export const TRAINING_RECORD_FILE = 'attune_training.json';

export interface TrainLocallyOptions {
  /** A model directory: config.json, model.safetensors, tokenizer.json (a fine-tuned one for hybrid). */
  readonly modelDir: string;
  /** Chat or prompt/completion JSONL; for `pretrain`, plain UTF-8 text. */
  readonly dataPath: string;
  readonly validationPath?: string;
  readonly method: TrainingMethod;
  readonly outDir: string;
  readonly hyperparameters?: unknown;
  readonly seed?: number;
  readonly onStep?: (metrics: StepMetrics) => void;
  readonly signal?: AbortSignal;
  readonly log?: (line: string) => void;
}

export interface TrainLocallyResult {
  readonly status: 'completed' | 'aborted';
  readonly metrics: TrainingMetrics;
  readonly hyperparameters: ResolvedHyperparameters;
  /** Examples with no trained token left after truncation, which were not trained on. */
  readonly droppedExamples: number;
  /** Files written into `outDir` (none when aborted). */
  readonly files: string[];
}

async function loadExamples(
  file: string,
  method: TrainingMethod,
  tokenizer: ReturnType<typeof loadTokenizer>,
  maxLength: number,
): Promise<{ examples: TokenizedExample[]; truncated: number; dropped: number }> {
  const text = await readFile(file, 'utf8');
  // A window of maxLength + 1 tokens feeds exactly maxLength inputs: the whole context is used.
  if (method === 'pretrain')
    return { examples: textWindows([text], tokenizer, maxLength + 1), truncated: 0, dropped: 0 };
  return prepareExamples(parseTrainingJsonl(text), tokenizer, { maxLength });
}

/** Loads, trains and writes the artifact; see {@link TrainLocallyOptions}. */
export async function trainLocally(options: TrainLocallyOptions): Promise<TrainLocallyResult> {
  const { method, outDir } = options;
  const hyperparameters = parseHyperparameters(method, options.hyperparameters);
  const model = await loadModelDir(options.modelDir);
  try {
    const tokenizer = loadTokenizer(model.tokenizerJson);
    const virtual =
      method === 'prompt_tuning' ? (hyperparameters.num_virtual_tokens ?? DEFAULT_VIRTUAL_TOKENS) : 0;
    const maxLength = Math.max(2, model.config.n_positions - virtual);
    const train = await loadExamples(options.dataPath, method, tokenizer, maxLength);
    const validation = options.validationPath
      ? await loadExamples(options.validationPath, method, tokenizer, maxLength)
      : undefined;
    const initText = hyperparameters.prompt_tuning_init_text;
    const result = await trainModel({
      config: model.config,
      weights: model.weights,
      method,
      train: train.examples,
      ...(validation ? { validation: validation.examples } : {}),
      hyperparameters,
      seed: options.seed ?? 0,
      ...(initText === undefined ? {} : { promptInitTextIds: tokenizer.encode(initText) }),
      ...(options.onStep ? { onStep: options.onStep } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.log ? { log: options.log } : {}),
    });
    const metrics: TrainingMetrics = {
      ...result.metrics,
      truncatedExamples: result.metrics.truncatedExamples + train.truncated + (validation?.truncated ?? 0),
    };
    const dropped = train.dropped + (validation?.dropped ?? 0);
    const files: string[] = [];
    if (result.status === 'completed') {
      const h = result.hyperparameters;
      if (result.prompt) {
        await savePeftPrompt(
          outDir,
          result.prompt,
          trainedPromptConfig(path.resolve(options.modelDir), model.config, h, result.prompt.shape[0]),
        );
        files.push('adapter_config.json', 'adapter_model.safetensors');
      } else {
        await saveModelDir(outDir, model);
        files.push('config.json', 'model.safetensors', 'tokenizer.json');
      }
      const record = {
        method,
        hyperparameters: h,
        metrics,
        dropped_examples: dropped,
        base_model: options.modelDir,
      };
      await writeFile(path.join(outDir, TRAINING_RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`);
      files.push(TRAINING_RECORD_FILE);
    }
    result.prompt?.dispose();
    return {
      status: result.status,
      metrics,
      hyperparameters: result.hyperparameters,
      droppedExamples: dropped,
      files,
    };
  } finally {
    disposeGpt2Weights(model.weights);
  }
}

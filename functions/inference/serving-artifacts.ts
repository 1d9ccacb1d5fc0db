import path from 'node:path';
import { FormatError } from '#core/errors.ts';
import type { Gpt2Config } from '#core/gpt2-config.ts';
import type { ArtifactCache, ArtifactLease } from '#core/inference/artifact-cache.ts';
import type { ServedPrompt, ServedWeights } from '#core/inference/model-resolution.ts';
import { disposeGpt2Weights, type Gpt2Weights } from '#model/gpt2.ts';
import { CONFIG_FILE, loadModelDir, TOKENIZER_FILE, WEIGHTS_FILE } from '#model/model-dir.ts';
import { computePromptPrefix, disposePromptPrefix, type PromptPrefix } from '#model/prompt-prefix.ts';
import { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, loadPeftPrompt } from '#model/soft-prompt.ts';
import { type AttuneTokenizer, loadTokenizer } from '#model/tokenizer.ts';

/**
 * Models and prompt prefixes in the form generation uses, loaded through the one byte-bounded artifact
 * cache: a model's weights and tokenizer under `model:<id>`, a tuned prompt's key/value prefix under
 * `prefix:<model id>|<prompt id>` (the raw prompt is only needed to compute its prefix and is freed at
 * once). Tuned artifacts come from the bucket through a disk cache (`ArtifactFetcher`); base models from
 * the directory that holds `models/<id>/`.
 */

/** Copies an artifact prefix's files to local disk and says where (functions/aws/artifact-downloader.ts). */
export interface ArtifactFetcher {
  fetch(prefix: string, names: readonly string[]): Promise<string>;
}

/** A model ready to generate with. */
export interface ServingModel {
  readonly id: string;
  readonly config: Gpt2Config;
  readonly weights: Gpt2Weights;
  readonly tokenizer: AttuneTokenizer;
}

export interface ServingArtifactsDeps {
  readonly cache: ArtifactCache;
  readonly fetcher: ArtifactFetcher;
  /** The directory under which base models' `directory` (e.g. `models/attune-tiny`) is resolved. */
  readonly baseModelsRoot: string;
}

const MODEL_FILES = [CONFIG_FILE, WEIGHTS_FILE, TOKENIZER_FILE] as const;
const PROMPT_FILES = [ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE] as const;

function weightBytes(weights: Gpt2Weights): number {
  let elements = 0;
  for (const v of weights.values()) elements += v.size;
  return elements * 4;
}

export class ServingArtifacts {
  constructor(private readonly deps: ServingArtifactsDeps) {}

  /** The model's weights and tokenizer, held until the lease is released. */
  model(weights: ServedWeights): Promise<ArtifactLease<ServingModel>> {
    return this.deps.cache.acquire(`model:${weights.id}`, async () => {
      const dir =
        weights.kind === 'base'
          ? path.resolve(this.deps.baseModelsRoot, weights.directory)
          : await this.deps.fetcher.fetch(weights.artifactPrefix, MODEL_FILES);
      const loaded = await loadModelDir(dir);
      let tokenizer: AttuneTokenizer;
      try {
        tokenizer = loadTokenizer(loaded.tokenizerJson);
      } catch (error) {
        disposeGpt2Weights(loaded.weights);
        throw error;
      }
      const value: ServingModel = {
        id: weights.id,
        config: loaded.config,
        weights: loaded.weights,
        tokenizer,
      };
      return {
        value,
        bytes: weightBytes(loaded.weights) + loaded.tokenizerJson.length,
        dispose: () => disposeGpt2Weights(loaded.weights),
      };
    });
  }

  /** The prompt's key/value prefix on `model` (whose lease the caller holds), computed once and kept. */
  prefix(model: ServingModel, prompt: ServedPrompt): Promise<ArtifactLease<PromptPrefix>> {
    return this.deps.cache.acquire(`prefix:${model.id}|${prompt.id}`, async () => {
      const dir = await this.deps.fetcher.fetch(prompt.artifactPrefix, PROMPT_FILES);
      const adapter = await loadPeftPrompt(dir);
      try {
        if (adapter.config.tokenDim !== model.config.n_embd) {
          throw new FormatError(
            `tuned prompt ${prompt.id} has token_dim ${adapter.config.tokenDim}; ${model.id} has n_embd ${model.config.n_embd}`,
          );
        }
        const prefix = computePromptPrefix(model.config, model.weights, adapter.prompt);
        return { value: prefix, bytes: prefix.bytes, dispose: () => disposePromptPrefix(prefix) };
      } finally {
        adapter.prompt.dispose();
      }
    });
  }
}

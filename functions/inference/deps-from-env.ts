import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Logger } from '@aws-lambda-powertools/logger';
import { z } from 'zod';
import { ArtifactDownloader } from '#aws/artifact-downloader.ts';
import { type AwsClients, createClients } from '#aws/clients.ts';
import { type AttuneConfig, parseConfig } from '#aws/config.ts';
import { createStores } from '#aws/stores.ts';
import { epochSeconds, systemClock } from '#core/clock.ts';
import { ConfigError } from '#core/errors.ts';
import { ArtifactCache } from '#core/inference/artifact-cache.ts';
import { RecentModelRecords } from '#core/inference/recent-model-records.ts';
import type { InferenceDeps } from '#inference/app.ts';
import { CompletionService } from '#inference/completion-service.ts';
import { ServingArtifacts } from '#inference/serving-artifacts.ts';

/** The service name every inference log line carries (Powertools' `service` key). */
export const INFERENCE_SERVICE_NAME = 'attune-inference';

/** The repository root of this checkout: where `models/<id>/` of the built-in base models are. */
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The inference handler's own environment, beside TABLE_NAME / BUCKET_NAME (functions/aws/config.ts) and
 * ATTUNE_TFJS_WASM_DIR (functions/model/backend.ts). The CDK construct sets exactly these names.
 */
const InferenceEnvSchema = z.object({
  /** The directory holding `models/<id>/` of the base models (the package root in Lambda). */
  ATTUNE_BASE_MODELS_ROOT: z.string().min(1).default(REPO_ROOT),
  /** Disk cache of tuned artifacts downloaded from the bucket (in Lambda: under /tmp). */
  ATTUNE_ARTIFACT_CACHE_DIR: z.string().min(1).default(path.join(tmpdir(), 'attune-artifacts')),
  /** Bound of the in-memory cache of models, prompts and prompt prefixes, in bytes. */
  ATTUNE_ARTIFACT_CACHE_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(512 * 1024 * 1024),
});

export interface InferenceEnv {
  readonly baseModelsRoot: string;
  readonly artifactCacheDir: string;
  readonly artifactCacheBytes: number;
}

/** Parses the inference variables; a ConfigError names every one that is wrong. */
export function parseInferenceEnv(env: NodeJS.ProcessEnv): InferenceEnv {
  const parsed = InferenceEnvSchema.safeParse(env);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`Invalid inference environment: ${detail}`, { cause: parsed.error });
  }
  const e = parsed.data;
  return {
    baseModelsRoot: e.ATTUNE_BASE_MODELS_ROOT,
    artifactCacheDir: e.ATTUNE_ARTIFACT_CACHE_DIR,
    artifactCacheBytes: e.ATTUNE_ARTIFACT_CACHE_BYTES,
  };
}

/** What the inference app is built from: the settings its entry point has read, and one set of clients. */
export interface InferenceDepsOptions {
  readonly config: AttuneConfig;
  readonly clients: AwsClients;
  readonly inference: InferenceEnv;
  readonly logger: Logger;
}

/**
 * The inference app's dependencies over one set of clients, the one way the Lambda and the embedded stack
 * build them. Builds objects only (no network call, no model load); artifacts load on the first request
 * that names them and stay warm for the container's life.
 */
export function createInferenceDeps(options: InferenceDepsOptions): InferenceDeps {
  const { inference, logger } = options;
  const stores = createStores(options.config, options.clients);
  const artifacts = new ServingArtifacts({
    cache: new ArtifactCache(inference.artifactCacheBytes),
    fetcher: new ArtifactDownloader(stores.objects, inference.artifactCacheDir),
    baseModelsRoot: inference.baseModelsRoot,
  });
  const service = new CompletionService({
    models: new RecentModelRecords(stores.models),
    aliases: stores.aliases,
    recorder: stores.completions,
    artifacts,
    random: Math.random,
    now: () => epochSeconds(systemClock),
    onRecordError: (error, id) => logger.warn('served completion not recorded', { completionId: id, error }),
  });
  return { keys: stores.keys, logger, service };
}

/**
 * The inference Lambda's composition root: its environment parsed once, at init. The embedded stack calls
 * it too, with the environment that describes its loopback services and its own clients.
 */
export function inferenceDepsFromEnv(
  env: NodeJS.ProcessEnv,
  given: { readonly clients?: AwsClients } = {},
): InferenceDeps {
  const config = parseConfig(env);
  return createInferenceDeps({
    config,
    clients: given.clients ?? createClients(config),
    inference: parseInferenceEnv(env),
    logger: new Logger({ serviceName: INFERENCE_SERVICE_NAME }),
  });
}

import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Logger } from '@aws-lambda-powertools/logger';
import { z } from 'zod';
import { AliasRepository } from '#aws/alias-repository.ts';
import { ApiKeyRepository } from '#aws/api-key-repository.ts';
import { ArtifactDownloader } from '#aws/artifact-downloader.ts';
import { getClients } from '#aws/clients.ts';
import { CompletionLogRepository } from '#aws/completion-log-repository.ts';
import { getConfig } from '#aws/config.ts';
import { ModelRepository } from '#aws/model-repository.ts';
import { ObjectStore } from '#aws/object-store.ts';
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

/**
 * The inference app's dependencies from the process environment, the one way the Lambda and the embedded
 * stack build them. Builds objects only (no network call, no model load), so it is safe at module load;
 * artifacts load on the first request that names them and stay warm for the container's life.
 */
export function inferenceDepsFromEnv(env: NodeJS.ProcessEnv = process.env): InferenceDeps {
  const config = getConfig();
  const inference = parseInferenceEnv(env);
  const clients = getClients(config);
  const logger = new Logger({ serviceName: INFERENCE_SERVICE_NAME });
  const artifacts = new ServingArtifacts({
    cache: new ArtifactCache(inference.artifactCacheBytes),
    fetcher: new ArtifactDownloader(
      new ObjectStore(clients.s3, config.bucketName),
      inference.artifactCacheDir,
    ),
    baseModelsRoot: inference.baseModelsRoot,
  });
  const service = new CompletionService({
    models: new RecentModelRecords(new ModelRepository(clients.dynamo, config.tableName)),
    aliases: new AliasRepository(clients.dynamo, config.tableName),
    recorder: new CompletionLogRepository(clients.dynamo, config.tableName),
    artifacts,
    random: Math.random,
    now: () => Math.floor(Date.now() / 1000),
    onRecordError: (error, id) => logger.warn('served completion not recorded', { completionId: id, error }),
  });
  return { keys: new ApiKeyRepository(clients.dynamo, config.tableName), logger, service };
}

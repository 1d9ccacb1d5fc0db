import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { AliasRepository } from '#aws/alias-repository.ts';
import { ArtifactDownloader } from '#aws/artifact-downloader.ts';
import { CompletionLogRepository } from '#aws/completion-log-repository.ts';
import { ModelRepository } from '#aws/model-repository.ts';
import { ObjectStore } from '#aws/object-store.ts';
import { ArtifactCache } from '#core/inference/artifact-cache.ts';
import { formatTunedModelName } from '#core/jobs/model-names.ts';
import { type ModelRecord, modelArtifactPrefix } from '#core/jobs/models.ts';
import { createInferenceApp } from '#inference/app.ts';
import { CompletionService } from '#inference/completion-service.ts';
import { ServingArtifacts } from '#inference/serving-artifacts.ts';
import { disposeGpt2Weights } from '#model/gpt2.ts';
import { CONFIG_FILE, loadModelDir, type ModelDir, TOKENIZER_FILE, WEIGHTS_FILE } from '#model/model-dir.ts';
import {
  ADAPTER_CONFIG_FILE,
  ADAPTER_WEIGHTS_FILE,
  initSoftPrompt,
  peftPromptToFiles,
  trainedPromptConfig,
} from '#model/soft-prompt.ts';
import { type AttuneTokenizer, loadTokenizer } from '#model/tokenizer.ts';
import { createHarness } from '#tests/integration/http-harness.ts';
import { testClients, testConfig } from '#tests/test-clients.ts';

/**
 * The inference app over the real repositories and bucket (DynamoDB Local + s3rver from globalSetup), a
 * disk cache in a temporary directory, and helpers that put real artifacts where a succeeded job puts
 * them: a PEFT prompt, or a copy of attune-tiny as an `ft:` model.
 */

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');
const TINY_DIR = path.join(REPO_ROOT, 'models', 'attune-tiny');

export async function createInferenceHarness() {
  const api = createHarness();
  const config = testConfig();
  const { dynamo, s3 } = testClients();
  const objects = new ObjectStore(s3, config.bucketName);
  const models = new ModelRepository(dynamo, config.tableName);
  const aliases = new AliasRepository(dynamo, config.tableName);
  const completions = new CompletionLogRepository(dynamo, config.tableName);
  const cacheDir = await mkdtemp(path.join(tmpdir(), 'attune-inference-'));

  /** A fresh process's view: its own memory cache and downloader, over the shared disk cache. */
  const instance = () => {
    const downloader = new ArtifactDownloader(objects, cacheDir);
    const cache = new ArtifactCache(256 * 1024 * 1024);
    const service = new CompletionService({
      models,
      aliases,
      recorder: completions,
      artifacts: new ServingArtifacts({ cache, fetcher: downloader, baseModelsRoot: REPO_ROOT }),
      random: Math.random,
      now: () => Math.floor(Date.now() / 1000),
      onRecordError: (error) => {
        throw error;
      },
    });
    const app = createInferenceApp({
      keys: api.deps.keys,
      logger: new Logger({ serviceName: 'attune-inference-test', logLevel: 'SILENT' }),
      service,
    });
    return { app, downloader, cache };
  };

  let tiny: Promise<{ model: ModelDir; tokenizer: AttuneTokenizer }> | undefined;
  const loadTiny = () => {
    tiny ??= loadModelDir(TINY_DIR).then((model) => ({
      model,
      tokenizer: loadTokenizer(model.tokenizerJson),
    }));
    return tiny;
  };

  async function register(team: string, kind: 'ft' | 'pt', suffix: string, attachesTo: string | null) {
    const jobId = `ftjob-${kind}${Math.random().toString(36).slice(2, 12)}`;
    const record: ModelRecord = {
      team,
      id: formatTunedModelName({ kind, base: 'attune-tiny', team, suffix, id: jobId.slice(6) }),
      kind,
      baseModel: 'attune-tiny',
      attachesTo,
      jobId,
      createdAt: Math.floor(Date.now() / 1000),
      artifactPrefix: modelArtifactPrefix(team, jobId),
    };
    await models.put(record);
    return record;
  }

  return {
    api,
    models,
    aliases,
    completions,
    objects,
    cacheDir,
    instance,
    /**
     * A tuned prompt stored as a succeeded job stores it: the embeddings of `text`'s tokens (PEFT's TEXT
     * init), which steer attune-tiny visibly, unlike random rows.
     */
    async putPrompt(team: string, attachesTo: string, text: string) {
      const tiny = await loadTiny();
      const ids = tiny.tokenizer.encode(text);
      const record = await register(team, 'pt', 'prompt', attachesTo);
      const prompt = initSoftPrompt({
        init: 'TEXT',
        numVirtualTokens: ids.length,
        weights: tiny.model.weights,
        config: tiny.model.config,
        initTextIds: ids,
        seed: 1,
      });
      const config = trainedPromptConfig(attachesTo, tiny.model.config, {}, ids.length);
      const files = peftPromptToFiles(prompt, config);
      prompt.dispose();
      await objects.put(
        record.artifactPrefix + ADAPTER_CONFIG_FILE,
        files.adapterConfigJson,
        'application/json',
      );
      await objects.put(record.artifactPrefix + ADAPTER_WEIGHTS_FILE, files.adapterModel);
      return { ...record, virtualTokens: ids.length };
    },
    /** attune-tiny's own files as the team's `ft:` model. */
    async putFineTuned(team: string) {
      const record = await register(team, 'ft', 'copy', null);
      for (const file of [CONFIG_FILE, WEIGHTS_FILE, TOKENIZER_FILE]) {
        await objects.put(record.artifactPrefix + file, await readFile(path.join(TINY_DIR, file)));
      }
      return record;
    },
    /** A model record with no artifact behind it (for resolution paths that must fail before loading). */
    registerOnly: register,
    async cleanup() {
      if (tiny) disposeGpt2Weights((await tiny).model.weights);
      await api.cleanup();
      await rm(cacheDir, { recursive: true, force: true });
    },
  };
}

export type InferenceHarness = Awaited<ReturnType<typeof createInferenceHarness>>;

export function postJson(
  app: { request: (path: string, init: RequestInit) => Response | Promise<Response> },
  route: string,
  auth: Record<string, string>,
  body: unknown,
) {
  return app.request(`/v1/${route}`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '#core/errors.ts';
import { ArtifactCache } from '#core/inference/artifact-cache.ts';
import type { ModelRecord } from '#core/jobs/models.ts';
import { SERVER_ERROR_MESSAGE } from '#http/error-mapper.ts';
import { createInferenceApp } from '#inference/app.ts';
import { CompletionService, type CompletionServiceDeps } from '#inference/completion-service.ts';
import { ServingArtifacts } from '#inference/serving-artifacts.ts';
import { initBackend } from '#model/backend.ts';
import { ModelError, ModelInputError } from '#model/errors.ts';
import { savePeftPrompt } from '#model/soft-prompt.ts';

/**
 * The model layer throws its own errors, never HTTP ones: these are the answers the inference app gives
 * when one reaches it, which must be exactly those the model layer's former ValidationError gave.
 */

const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
const KEY = 'sk-unit-model-errors';
const AUTH = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
const keys = { teamForKey: async (key: string) => (key === KEY ? 'red' : undefined) };
const logger = new Logger({ logLevel: 'SILENT' });
/** attune-tiny's context (config.json `n_positions`) and width (`n_embd`). */
const CONTEXT = 256;
const N_EMBD = 128;
const LONG_PROMPT = 'pt:attune-tiny:red::long';

let adapterDir: string;

function serviceDeps(fetchDir: () => string): CompletionServiceDeps {
  return {
    models: {
      get: async (team, id): Promise<ModelRecord | undefined> =>
        team === 'red' && id === LONG_PROMPT
          ? {
              team,
              id,
              kind: 'pt',
              baseModel: 'attune-tiny',
              attachesTo: 'attune-tiny',
              jobId: 'ftjob-long',
              createdAt: 1,
              artifactPrefix: 'teams/red/models/ftjob-long/',
            }
          : undefined,
    },
    artifacts: new ServingArtifacts({
      cache: new ArtifactCache(64 * 1024 * 1024),
      fetcher: { fetch: async () => fetchDir() },
      baseModelsRoot: REPO_ROOT,
    }),
    random: Math.random,
    now: () => 1_800_000_000,
    onRecordError: () => {},
  };
}

/** A service whose every completion fails with `error`, as if the model layer had thrown it. */
function failingApp(error: Error) {
  class FailingService extends CompletionService {
    override async complete(): Promise<never> {
      throw error;
    }
    override async chat(): Promise<never> {
      throw error;
    }
  }
  return createInferenceApp({ keys, logger, service: new FailingService(serviceDeps(() => adapterDir)) });
}

async function answer(app: ReturnType<typeof createInferenceApp>, route: string, body: unknown) {
  const res = await app.request(`/v1/${route}`, {
    method: 'POST',
    headers: AUTH,
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

const COMPLETION = { model: 'attune-tiny', prompt: 'The nation', max_tokens: 4 };
const CHAT = { model: 'attune-tiny', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 4 };

beforeAll(async () => {
  await initBackend({ log: () => {} });
  adapterDir = await mkdtemp(path.join(tmpdir(), 'attune-long-prompt-'));
  const prompt = tf.zeros([CONTEXT + 1, N_EMBD]) as tf.Tensor2D;
  await savePeftPrompt(adapterDir, prompt, {
    baseModelNameOrPath: 'attune-tiny',
    numVirtualTokens: CONTEXT + 1,
    tokenDim: N_EMBD,
    promptTuningInit: 'RANDOM',
    promptTuningInitText: null,
  });
  prompt.dispose();
});

afterAll(async () => {
  await rm(adapterDir, { recursive: true, force: true });
});

describe('a model-layer error at the inference boundary', () => {
  it.each([
    ['completions', COMPLETION],
    ['chat/completions', CHAT],
  ])(
    'Given a ModelInputError naming a param, when %s answers, then the 400 body a ValidationError gives',
    async (route, body) => {
      const app = failingApp(new ModelInputError('top_p must be in (0, 1]', { param: 'top_p' }));
      const expected = new ValidationError('top_p must be in (0, 1]', { param: 'top_p' }).toJSON();
      expect(await answer(app, route, body)).toEqual({ status: 400, body: expected });
    },
  );

  it('Given a ModelInputError naming no param, when answered, then 400 invalid_request with a null param', async () => {
    const app = failingApp(new ModelInputError('pass a soft prompt or its precomputed prefix, not both'));
    expect(await answer(app, 'completions', COMPLETION)).toEqual({
      status: 400,
      body: {
        error: {
          message: 'pass a soft prompt or its precomputed prefix, not both',
          type: 'invalid_request_error',
          param: null,
          code: 'invalid_request',
        },
      },
    });
  });

  it('Given a model-layer error that is not about the input, when answered, then a bare 500 that leaks nothing', async () => {
    const app = failingApp(new ModelError('weights and prompt disagree'));
    expect(await answer(app, 'completions', COMPLETION)).toEqual({
      status: 500,
      body: { error: { message: SERVER_ERROR_MESSAGE, type: 'server_error', param: null, code: null } },
    });
  });

  it('Given a tuned prompt longer than the context, when its prefix is computed, then the 400 context_length_exceeded the model layer raised', async () => {
    const service = new CompletionService(serviceDeps(() => adapterDir));
    const app = createInferenceApp({ keys, logger, service });
    expect(await answer(app, 'completions', { ...COMPLETION, model: LONG_PROMPT })).toEqual({
      status: 400,
      body: {
        error: {
          message: `${CONTEXT + 1} positions (0 cached + ${CONTEXT + 1} virtual + 0 new) exceed the context of ${CONTEXT}`,
          type: 'invalid_request_error',
          param: null,
          code: 'context_length_exceeded',
        },
      },
    });
  });
});

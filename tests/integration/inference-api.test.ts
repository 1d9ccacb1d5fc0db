import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatCompletion, TextCompletion } from '#core/inference/completion-objects.ts';
import type { ModelRecord } from '#core/jobs/models.ts';
import { initBackend } from '#model/backend.ts';
import { errorOf } from '#tests/integration/http-harness.ts';
import {
  createInferenceHarness,
  type InferenceHarness,
  postJson,
} from '#tests/integration/inference-harness.ts';

/**
 * Completions over DynamoDB Local and s3rver: tuned prompts and an `ft:` model stored where a succeeded
 * job stores them, downloaded to the disk cache, kept warm in memory, attached per request.
 */

type TunedPrompt = ModelRecord & { virtualTokens: number };

let h: InferenceHarness;
let server: ReturnType<InferenceHarness['instance']>;
let red: { team: string; auth: { authorization: string } };
let blue: { team: string; auth: { authorization: string } };
let prompt: TunedPrompt;
let fineTuned: ModelRecord;
let hybrid: TunedPrompt;
let bluePrompt: TunedPrompt;

const GREEDY = { prompt: 'The nation', max_tokens: 6, temperature: 0 };

async function complete(body: Record<string, unknown>, auth = red.auth, app = server.app) {
  const res = await postJson(app, 'completions', auth, body);
  expect(res.status, JSON.stringify(await res.clone().json())).toBe(200);
  return (await res.json()) as TextCompletion;
}

beforeAll(async () => {
  await initBackend({ log: () => {} });
  h = await createInferenceHarness();
  server = h.instance();
  red = await h.api.team();
  blue = await h.api.team();
  prompt = await h.putPrompt(red.team, 'attune-tiny', ' whale ship sea Ahab whale');
  fineTuned = await h.putFineTuned(red.team);
  hybrid = await h.putPrompt(red.team, fineTuned.id, ' the sea');
  bluePrompt = await h.putPrompt(blue.team, 'attune-tiny', ' Congress');
});

afterAll(async () => {
  await h?.cleanup();
});

describe('POST /v1/completions with tuned artifacts from the bucket', () => {
  it('given a pt: model, then its prompt is attached: virtual tokens counted apart, model named, text changed', async () => {
    const base = await complete({ ...GREEDY, model: 'attune-tiny' });
    const tuned = await complete({ ...GREEDY, model: prompt.id });
    expect(tuned.model).toBe(prompt.id);
    expect(tuned.usage).toEqual({ ...base.usage, virtual_tokens: prompt.virtualTokens });
    expect(prompt.virtualTokens).toBeGreaterThan(2);
    expect(tuned.choices[0]?.text).not.toBe(base.choices[0]?.text);
  });

  it('given the pt: model again, then nothing is downloaded or loaded again', async () => {
    await complete({ ...GREEDY, model: prompt.id });
    const downloads = server.downloader.stats().downloads;
    const loads = server.cache.stats().loads;
    await complete({ ...GREEDY, model: prompt.id });
    expect(server.downloader.stats().downloads).toBe(downloads);
    expect(server.cache.stats().loads).toBe(loads);
  });

  it('given adapter naming the pt: model on its base, then the completion equals the pt: model', async () => {
    const viaModel = await complete({ ...GREEDY, model: prompt.id });
    const viaAdapter = await complete({ ...GREEDY, model: 'attune-tiny', adapter: prompt.id });
    expect(viaAdapter.model).toBe('attune-tiny');
    expect(viaAdapter.choices[0]?.text).toBe(viaModel.choices[0]?.text);
    expect(viaAdapter.usage.virtual_tokens).toBe(prompt.virtualTokens);
  });

  it('given an ft: model and a hybrid prompt tuned on it, then both are downloaded and served', async () => {
    const plain = await complete({ ...GREEDY, model: fineTuned.id });
    const base = await complete({ ...GREEDY, model: 'attune-tiny' });
    // The ft: model is attune-tiny's own files: the same greedy text.
    expect(plain.choices[0]?.text).toBe(base.choices[0]?.text);
    const viaAdapter = await complete({ ...GREEDY, model: fineTuned.id, adapter: hybrid.id });
    const viaModel = await complete({ ...GREEDY, model: hybrid.id });
    expect(viaAdapter.usage.virtual_tokens).toBe(hybrid.virtualTokens);
    expect(viaModel.choices[0]?.text).toBe(viaAdapter.choices[0]?.text);
  });

  it('given a chat request to a pt: model, then the prompt is attached there too', async () => {
    const res = await postJson(server.app, 'chat/completions', red.auth, {
      model: prompt.id,
      messages: [{ role: 'user', content: 'Hi' }],
      max_tokens: 3,
      temperature: 0,
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as ChatCompletion;
    expect(body.model).toBe(prompt.id);
    expect(body.usage.virtual_tokens).toBe(prompt.virtualTokens);
  });

  it('given max_tokens that fits without the prompt but not with its virtual tokens, then it is a 400', async () => {
    const base = await complete({ ...GREEDY, model: 'attune-tiny', max_tokens: 1 });
    const fitsWithoutPrompt = 256 - base.usage.prompt_tokens;
    const res = await postJson(server.app, 'completions', red.auth, {
      ...GREEDY,
      model: prompt.id,
      max_tokens: fitsWithoutPrompt - 1,
    });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ code: 'context_length_exceeded', param: 'max_tokens' });
  });

  it("given another team's pt: model, as model or as adapter, then it is a 404 model_not_found", async () => {
    const asModel = await postJson(server.app, 'completions', red.auth, { ...GREEDY, model: bluePrompt.id });
    expect(asModel.status).toBe(404);
    expect((await errorOf(asModel)).code).toBe('model_not_found');
    const asAdapter = await postJson(server.app, 'completions', red.auth, {
      ...GREEDY,
      model: 'attune-tiny',
      adapter: bluePrompt.id,
    });
    expect(asAdapter.status).toBe(404);
    expect(await errorOf(asAdapter)).toMatchObject({ code: 'model_not_found', param: 'adapter' });
  });

  it('given a prompt tuned on the ft: model attached to the base model, then it is a 400 adapter_incompatible', async () => {
    const res = await postJson(server.app, 'completions', red.auth, {
      ...GREEDY,
      model: 'attune-tiny',
      adapter: hybrid.id,
    });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ code: 'adapter_incompatible', param: 'adapter' });
  });

  it('given an alias, then the variant serves, is named, and the completion is logged with its alias', async () => {
    await h.aliases.put(
      red.team,
      'faq-bot',
      [{ model: prompt.id, weight: 1 }],
      Math.floor(Date.now() / 1000),
    );
    const body = await complete({ ...GREEDY, model: 'faq-bot', user: 'alice' });
    expect(body.model).toBe(prompt.id);
    expect(await h.completions.getServed(red.team, body.id)).toMatchObject({
      model: prompt.id,
      alias: 'faq-bot',
    });
    const alias = await h.aliases.get(red.team, 'faq-bot');
    expect(alias?.stats[0]?.served).toBe(1);
  });

  it("given another team's alias, then it is a 404 model_not_found", async () => {
    await h.aliases.put(blue.team, 'blue-bot', [{ model: 'attune-tiny', weight: 1 }], 1);
    const res = await postJson(server.app, 'completions', red.auth, { ...GREEDY, model: 'blue-bot' });
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe('model_not_found');
  });

  it('given a new instance after the objects were deleted, then the disk cache still serves the prompt', async () => {
    const warm = await complete({ ...GREEDY, model: prompt.id });
    for (const file of ['adapter_config.json', 'adapter_model.safetensors']) {
      await h.objects.delete(prompt.artifactPrefix + file);
    }
    const fresh = h.instance();
    const cold = await complete({ ...GREEDY, model: prompt.id }, red.auth, fresh.app);
    expect(cold.choices[0]?.text).toBe(warm.choices[0]?.text);
    expect(fresh.downloader.stats()).toEqual({ downloads: 0, diskHits: 1 });
  });
});

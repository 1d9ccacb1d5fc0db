import path from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ApiKeyRepository } from '#aws/api-key-repository.ts';
import { ArtifactCache } from '#core/inference/artifact-cache.ts';
import type { ChatCompletion, TextCompletion } from '#core/inference/completion-objects.ts';
import type { AliasRecord, ServedCompletion } from '#core/inference/ports.ts';
import { createInferenceApp } from '#inference/app.ts';
import { CompletionService } from '#inference/completion-service.ts';
import { ServingArtifacts } from '#inference/serving-artifacts.ts';
import { initBackend } from '#model/backend.ts';

/**
 * The inference app over the built-in attune-tiny (read from the repository), with in-memory keys,
 * aliases and recorder: every validation and error path of both routes, and the response shapes.
 */

const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
const KEY = 'sk-unit-inference';
const AUTH = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };

const served: ServedCompletion[] = [];
let failRecording = false;
const ALIAS: AliasRecord = {
  team: 'red',
  name: 'bot',
  variants: [{ model: 'attune-tiny', weight: 1 }],
  createdAt: 1,
  updatedAt: 1,
  generation: 'g-bot-1',
};

const keys = {
  teamForKey: async (key: string) => (key === KEY ? 'red' : undefined),
} as unknown as ApiKeyRepository;
const service = new CompletionService({
  models: { get: async () => undefined },
  aliases: { get: async (team, name) => (team === ALIAS.team && name === ALIAS.name ? ALIAS : undefined) },
  recorder: {
    recordServed: async (entry) => {
      if (failRecording) throw new Error('DynamoDB throttled');
      served.push(entry);
    },
  },
  artifacts: new ServingArtifacts({
    cache: new ArtifactCache(64 * 1024 * 1024),
    fetcher: { fetch: async () => Promise.reject(new Error('no bucket in unit tests')) },
    baseModelsRoot: REPO_ROOT,
  }),
  random: Math.random,
  now: () => 1_800_000_000,
  onRecordError: () => {},
});
const app = createInferenceApp({ keys, logger: new Logger({ logLevel: 'SILENT' }), service });

function post(route: string, body: unknown, headers: Record<string, string> = AUTH) {
  return app.request(`/v1/${route}`, { method: 'POST', headers, body: JSON.stringify(body) });
}

async function errorOf(res: Response) {
  return ((await res.json()) as { error: { code: string | null; param: string | null; message: string } })
    .error;
}

const BASIC = { model: 'attune-tiny', prompt: 'The nation', max_tokens: 4, temperature: 0 };

beforeAll(async () => {
  await initBackend({ log: () => {} });
});

describe('POST /v1/completions', () => {
  it('given a base model, then it answers a text_completion with usage and the model served', async () => {
    const res = await post('completions', BASIC);
    expect(res.status).toBe(200);
    const body = (await res.json()) as TextCompletion;
    expect(body.object).toBe('text_completion');
    expect(body.id).toMatch(/^cmpl-/);
    expect(body.created).toBe(1_800_000_000);
    expect(body.model).toBe('attune-tiny');
    expect(body.choices).toHaveLength(1);
    expect(body.choices[0]).toMatchObject({ index: 0, logprobs: null, finish_reason: 'length' });
    expect(body.choices[0]?.text.length).toBeGreaterThan(0);
    expect(body.usage).toEqual({
      prompt_tokens: 2,
      completion_tokens: 4,
      total_tokens: 6,
      virtual_tokens: 0,
    });
    expect(res.headers.get('x-request-id')).toBeTruthy();
  });

  it('given the same seed twice at temperature 1, then the text is the same', async () => {
    const request = { ...BASIC, temperature: 1, seed: 99, max_tokens: 6 };
    const first = (await (await post('completions', request)).json()) as TextCompletion;
    const second = (await (await post('completions', request)).json()) as TextCompletion;
    expect(second.choices[0]?.text).toBe(first.choices[0]?.text);
  });

  it('given logprobs 2, then each token has its logprob and two alternatives, offsets adding up', async () => {
    const body = (await (await post('completions', { ...BASIC, logprobs: 2 })).json()) as TextCompletion;
    const logprobs = body.choices[0]?.logprobs;
    expect(logprobs?.tokens).toHaveLength(4);
    expect(logprobs?.tokens.join('')).toBe(body.choices[0]?.text);
    expect(logprobs?.token_logprobs.every((lp) => lp <= 0)).toBe(true);
    expect(logprobs?.top_logprobs.every((top) => Object.keys(top).length >= 1)).toBe(true);
    expect(logprobs?.text_offset[0]).toBe(0);
    expect(logprobs?.text_offset[1]).toBe(logprobs?.tokens[0]?.length);
  });

  it('given a prompt as an array of one string, then it is served like the string', async () => {
    const plain = (await (await post('completions', BASIC)).json()) as TextCompletion;
    const listed = (await (
      await post('completions', { ...BASIC, prompt: ['The nation'] })
    ).json()) as TextCompletion;
    expect(listed.choices[0]?.text).toBe(plain.choices[0]?.text);
  });

  it('given a stop sequence the greedy text contains, then the text ends before it with reason stop', async () => {
    const free = (await (await post('completions', { ...BASIC, max_tokens: 8 })).json()) as TextCompletion;
    const text = free.choices[0]?.text as string;
    const stop = text.trim().split(' ')[1] as string;
    const stopped = (await (
      await post('completions', { ...BASIC, max_tokens: 8, stop })
    ).json()) as TextCompletion;
    expect(stopped.choices[0]?.text).toBe(text.slice(0, text.indexOf(stop)));
    expect(stopped.choices[0]?.finish_reason).toBe('stop');
  });

  it('given an alias, then the variant is reported and the completion is recorded under the alias', async () => {
    served.length = 0;
    const body = (await (await post('completions', { ...BASIC, model: 'bot' })).json()) as TextCompletion;
    expect(body.model).toBe('attune-tiny');
    expect(served).toEqual([
      {
        team: 'red',
        id: body.id,
        model: 'attune-tiny',
        alias: 'bot',
        aliasGeneration: 'g-bot-1',
        createdAt: 1_800_000_000,
      },
    ]);
  });

  it('given recording fails, then the completion is still answered', async () => {
    failRecording = true;
    try {
      expect((await post('completions', BASIC)).status).toBe(200);
    } finally {
      failRecording = false;
    }
  });

  it.each([
    ['stream: true', { stream: true }, 'stream_unsupported', 'stream'],
    ['n: 2', { n: 2 }, 'invalid_value', 'n'],
    ['max_tokens beyond the context', { max_tokens: 255 }, 'context_length_exceeded', 'max_tokens'],
    ['two prompts', { prompt: ['a', 'b'] }, 'invalid_value', 'prompt'],
    ['temperature 3', { temperature: 3 }, 'invalid_value', 'temperature'],
    ['five stop sequences', { stop: ['a', 'b', 'c', 'd', 'e'] }, 'invalid_value', 'stop'],
    ['logprobs 6', { logprobs: 6 }, 'invalid_value', 'logprobs'],
    ['max_tokens 0', { max_tokens: 0 }, 'invalid_value', 'max_tokens'],
    ['an unknown field', { best_of: 2 }, 'invalid_value', 'best_of'],
    ['an unknown model', { model: 'gpt-9' }, 'model_not_found', 'model'],
    ["another team's tuned model", { model: 'pt:attune-tiny:blue::x1' }, 'model_not_found', 'model'],
  ])('given %s, then it is a 4xx naming the problem', async (_, change, code, param) => {
    const res = await post('completions', { ...BASIC, ...change });
    expect(res.status).toBe(code === 'model_not_found' ? 404 : 400);
    expect(await errorOf(res)).toMatchObject({ code, param });
  });

  it('given a prompt that alone fills the context, then it is a 400 naming the prompt', async () => {
    const res = await post('completions', { ...BASIC, prompt: ' the'.repeat(300) });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ code: 'context_length_exceeded', param: 'prompt' });
  });

  it('given a body that is not JSON, then it is a 400 invalid_json', async () => {
    const res = await app.request('/v1/completions', { method: 'POST', headers: AUTH, body: '{' });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe('invalid_json');
  });

  it('given no key or a wrong key, then it is a 401', async () => {
    expect((await post('completions', BASIC, { 'content-type': 'application/json' })).status).toBe(401);
    expect((await post('completions', BASIC, { ...AUTH, authorization: 'Bearer sk-wrong' })).status).toBe(
      401,
    );
  });

  it('given a route the inference handler does not serve, then it is a 404 in OpenAI shape', async () => {
    const res = await app.request('/v1/completions', { headers: AUTH });
    expect(res.status).toBe(404);
    expect((await errorOf(res)).message).toBe('Invalid URL (GET /v1/completions)');
  });
});

describe('POST /v1/chat/completions', () => {
  const CHAT = {
    model: 'attune-tiny',
    messages: [{ role: 'user', content: 'Hello' }],
    max_tokens: 3,
    temperature: 0,
  };

  it('given a conversation, then it answers a chat.completion with the assistant message', async () => {
    const res = await post('chat/completions', CHAT);
    expect(res.status).toBe(200);
    const body = (await res.json()) as ChatCompletion;
    expect(body.object).toBe('chat.completion');
    expect(body.id).toMatch(/^chatcmpl-/);
    expect(body.choices[0]?.message.role).toBe('assistant');
    expect(typeof body.choices[0]?.message.content).toBe('string');
    // `<|user|>\nHello\n<|assistant|>\n` in attune-tiny's tokens.
    expect(body.usage.prompt_tokens).toBeGreaterThan(4);
    expect(body.usage.virtual_tokens).toBe(0);
  });

  it('given text parts and a developer message, then they are served like plain strings and a system message', async () => {
    const plain = (await (
      await post('chat/completions', {
        ...CHAT,
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hello' },
        ],
      })
    ).json()) as ChatCompletion;
    const parts = (await (
      await post('chat/completions', {
        ...CHAT,
        messages: [
          { role: 'developer', content: 'Be brief.' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Hel' },
              { type: 'text', text: 'lo' },
            ],
          },
        ],
      })
    ).json()) as ChatCompletion;
    expect(parts.choices[0]?.message.content).toBe(plain.choices[0]?.message.content);
    expect(parts.usage).toEqual(plain.usage);
  });

  it('given logprobs and top_logprobs 2, then each content token carries two alternatives', async () => {
    const body = (await (
      await post('chat/completions', { ...CHAT, logprobs: true, top_logprobs: 2 })
    ).json()) as ChatCompletion;
    const content = body.choices[0]?.logprobs?.content ?? [];
    expect(content.length).toBeGreaterThan(0);
    for (const token of content) {
      expect(token.top_logprobs).toHaveLength(2);
      expect(token.bytes).toEqual([...new TextEncoder().encode(token.token)]);
    }
  });

  it('given no max_tokens, then generation may use what the context leaves', async () => {
    const res = await post('chat/completions', { ...CHAT, max_tokens: undefined, stop: ['\n'] });
    expect(res.status).toBe(200);
  });

  it.each([
    ['stream: true', { stream: true }, 'stream_unsupported', 'stream'],
    ['n: 3', { n: 3 }, 'invalid_value', 'n'],
    ['max_tokens beyond the context', { max_tokens: 250 }, 'context_length_exceeded', 'max_tokens'],
    [
      'max_completion_tokens beyond the context',
      { max_completion_tokens: 250 },
      'context_length_exceeded',
      'max_tokens',
    ],
    ['no messages', { messages: [] }, 'invalid_value', 'messages'],
    ['a tool role', { messages: [{ role: 'tool', content: 'x' }] }, 'invalid_value', 'messages.0.role'],
    ['top_logprobs without logprobs', { top_logprobs: 2 }, 'invalid_value', 'top_logprobs'],
    ['top_p 1.5', { top_p: 1.5 }, 'invalid_value', 'top_p'],
  ])('given %s, then it is a 400 naming the problem', async (_, change, code, param) => {
    const res = await post('chat/completions', { ...CHAT, ...change });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ code, param });
  });
});

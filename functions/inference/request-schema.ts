import { z } from 'zod';
import type { ChatMessage } from '#core/dataset/example.ts';
import { ValidationError } from '#core/errors.ts';
import type { ModelRequest, SamplingParams } from '#inference/completion-service.ts';

/**
 * The completion requests Attune serves, validated at the boundary with OpenAI's names, ranges and
 * defaults. Unknown fields are refused (as OpenAI does) rather than silently ignored, so a client that
 * relies on a parameter Attune does not implement finds out.
 */

/** OpenAI's default `max_tokens` for legacy completions. */
export const DEFAULT_COMPLETION_MAX_TOKENS = 16;

const stop = z.union([z.string(), z.array(z.string()).max(4, 'at most 4 stop sequences')]).nullish();

/** Fields both routes share. `stream` and `n` are checked before these (see `refuseUnsupported`). */
const common = {
  model: z.string().min(1),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  stop,
  seed: z.number().int().nullish(),
  user: z.string().max(256).nullish(),
  n: z.literal(1).nullish(),
  stream: z.literal(false).nullish(),
  /** Attune's extension: a `pt:` prompt to attach to a base or `ft:` model. */
  adapter: z.string().min(1).nullish(),
  max_tokens: z.number().int().min(1).nullish(),
};

export const CompletionRequestSchema = z.strictObject({
  ...common,
  prompt: z.union([z.string(), z.array(z.string()).length(1, 'only one prompt per request')]),
  logprobs: z.number().int().min(0).max(5).nullish(),
});

const textPart = z.strictObject({ type: z.literal('text'), text: z.string() });

const message = z.strictObject({
  role: z.enum(['system', 'developer', 'user', 'assistant']),
  content: z.union([z.string(), z.array(textPart).min(1)]),
  name: z.string().nullish(),
});

export const ChatCompletionRequestSchema = z
  .strictObject({
    ...common,
    messages: z.array(message).min(1),
    max_completion_tokens: z.number().int().min(1).nullish(),
    logprobs: z.boolean().nullish(),
    top_logprobs: z.number().int().min(0).max(20).nullish(),
  })
  .superRefine((r, ctx) => {
    if (r.top_logprobs != null && r.logprobs !== true) {
      ctx.addIssue({ code: 'custom', path: ['top_logprobs'], message: 'top_logprobs needs logprobs: true' });
    }
  });

export type CompletionRequest = z.output<typeof CompletionRequestSchema>;
export type ChatCompletionRequest = z.output<typeof ChatCompletionRequestSchema>;

/**
 * Streaming and several choices are refused with their own clear 400 before anything else is checked,
 * so the answer names the real reason rather than a schema detail.
 */
export function refuseUnsupported(body: Record<string, unknown>): void {
  if (body.stream === true) {
    throw new ValidationError(
      'Streaming is not supported by Attune: send the request with stream: false (or without stream).',
      { param: 'stream', code: 'stream_unsupported' },
    );
  }
  if (body.n !== undefined && body.n !== null && body.n !== 1) {
    throw new ValidationError('Attune returns one choice per request: n must be 1.', {
      param: 'n',
      code: 'invalid_value',
    });
  }
}

function modelRequest(team: string, r: CompletionRequest | ChatCompletionRequest): ModelRequest {
  return { team, model: r.model, adapter: r.adapter ?? undefined, user: r.user ?? undefined };
}

function sampling(r: CompletionRequest | ChatCompletionRequest) {
  return {
    temperature: r.temperature ?? 1,
    // top_p 0 keeps only the most likely token, as the smallest positive nucleus does.
    topP: r.top_p === 0 ? Number.MIN_VALUE : (r.top_p ?? 1),
    stop: typeof r.stop === 'string' ? [r.stop] : (r.stop ?? []),
    seed: r.seed ?? undefined,
  };
}

export function completionInput(team: string, r: CompletionRequest) {
  const params: SamplingParams = {
    ...sampling(r),
    maxTokens: r.max_tokens ?? DEFAULT_COMPLETION_MAX_TOKENS,
    logprobs: r.logprobs != null,
    topLogprobs: r.logprobs ?? 0,
  };
  const prompt = typeof r.prompt === 'string' ? r.prompt : (r.prompt[0] as string);
  return { request: modelRequest(team, r), prompt, params };
}

/** `developer` is OpenAI's newer name for `system`; text parts are joined into one content string. */
function chatMessage(m: ChatCompletionRequest['messages'][number]): ChatMessage {
  const content = typeof m.content === 'string' ? m.content : m.content.map((p) => p.text).join('');
  return { role: m.role === 'developer' ? 'system' : m.role, content };
}

export function chatInput(team: string, r: ChatCompletionRequest) {
  const params: SamplingParams = {
    ...sampling(r),
    maxTokens: r.max_completion_tokens ?? r.max_tokens ?? undefined,
    logprobs: r.logprobs === true,
    topLogprobs: r.top_logprobs ?? 0,
  };
  return { request: modelRequest(team, r), messages: r.messages.map(chatMessage), params };
}

import { randomBytes } from 'node:crypto';

/**
 * OpenAI's completion response objects, so the official clients parse Attune's answers unchanged, with
 * one documented extension in `usage`.
 */

export type CompletionFinishReason = 'stop' | 'length';

/**
 * Token counts of one completion.
 *
 * - `prompt_tokens` counts the tokens of the request's text only (for chat: the rendered conversation,
 *   role markers included), as OpenAI counts them.
 * - `virtual_tokens` (Attune's extension) is the number of soft-prompt positions a tuned prompt attached
 *   (`num_virtual_tokens`; 0 without one). They occupy the context window (a request must fit
 *   `virtual_tokens + prompt_tokens + max_tokens` positions) but are not part of `prompt_tokens` or
 *   `total_tokens`.
 */
export interface CompletionUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  virtual_tokens: number;
}

/** Legacy completions' logprobs (`logprobs: n`): per generated token, its logprob and the top n. */
export interface CompletionLogprobs {
  tokens: string[];
  token_logprobs: number[];
  top_logprobs: Record<string, number>[];
  text_offset: number[];
}

export interface TextCompletion {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  choices: {
    text: string;
    index: number;
    logprobs: CompletionLogprobs | null;
    finish_reason: CompletionFinishReason;
  }[];
  usage: CompletionUsage;
}

/** Chat logprobs (`logprobs: true`, `top_logprobs: n`). */
export interface ChatTokenLogprob {
  token: string;
  logprob: number;
  bytes: number[];
  top_logprobs: { token: string; logprob: number; bytes: number[] }[];
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: {
    index: number;
    message: { role: 'assistant'; content: string; refusal: null };
    logprobs: { content: ChatTokenLogprob[] } | null;
    finish_reason: CompletionFinishReason;
  }[];
  usage: CompletionUsage;
}

/** A fresh completion id with OpenAI's prefix (`cmpl-` or `chatcmpl-`) and 24 random base62-ish characters. */
export function completionId(prefix: 'cmpl' | 'chatcmpl'): string {
  return `${prefix}-${randomBytes(18).toString('base64url')}`;
}

export function usageOf(
  promptTokens: number,
  completionTokens: number,
  virtualTokens: number,
): CompletionUsage {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    virtual_tokens: virtualTokens,
  };
}

/** One generated token with the text it decodes to, its logprob and the most likely alternatives. */
export interface GeneratedToken {
  readonly text: string;
  readonly logprob: number;
  readonly top: readonly { readonly text: string; readonly logprob: number }[];
}

/** Legacy logprobs for the tokens behind `text` (offsets count from the start of the completion). */
export function completionLogprobs(tokens: readonly GeneratedToken[]): CompletionLogprobs {
  let offset = 0;
  const result: CompletionLogprobs = { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
  for (const token of tokens) {
    result.tokens.push(token.text);
    result.token_logprobs.push(token.logprob);
    // Two ids can decode to the same text (a partial UTF-8 byte): the likelier one is kept.
    const top: Record<string, number> = {};
    for (const alt of token.top) if (!(alt.text in top)) top[alt.text] = alt.logprob;
    result.top_logprobs.push(top);
    result.text_offset.push(offset);
    offset += token.text.length;
  }
  return result;
}

const bytesOf = (text: string): number[] => [...new TextEncoder().encode(text)];

/** Chat logprobs for the generated tokens. */
export function chatLogprobs(tokens: readonly GeneratedToken[]): { content: ChatTokenLogprob[] } {
  return {
    content: tokens.map((t) => ({
      token: t.text,
      logprob: t.logprob,
      bytes: bytesOf(t.text),
      top_logprobs: t.top.map((alt) => ({ token: alt.text, logprob: alt.logprob, bytes: bytesOf(alt.text) })),
    })),
  };
}

import type { ChatMessage } from '#core/dataset/example.ts';
import { ValidationError } from '#core/errors.ts';
import type { ArtifactLease } from '#core/inference/artifact-cache.ts';
import {
  type ChatCompletion,
  chatLogprobs,
  completionId,
  completionLogprobs,
  type GeneratedToken,
  type TextCompletion,
  usageOf,
} from '#core/inference/completion-objects.ts';
import { type ResolvedModel, resolveModel } from '#core/inference/model-resolution.ts';
import type { AliasReader, CompletionRecorder } from '#core/inference/ports.ts';
import type { ModelStore } from '#core/jobs/ports.ts';
import type { ServingArtifacts, ServingModel } from '#inference/serving-artifacts.ts';
import { encodeChatPrompt } from '#model/data.ts';
import { type GenerateResult, generate } from '#model/generate.ts';
import type { PromptPrefix } from '#model/prompt-prefix.ts';

/**
 * What `POST /v1/completions` and `POST /v1/chat/completions` do once the request is valid: resolve the
 * model name, take the model (and the tuned prompt's prefix) from the warm cache, generate with the KV
 * cache, build OpenAI's response object and record what was served (for alias traffic and feedback).
 */

/** The sampling parameters both routes share, already validated at the boundary. */
export interface SamplingParams {
  /** Undefined: as many as the context leaves (chat's default). */
  readonly maxTokens: number | undefined;
  readonly temperature: number;
  readonly topP: number;
  readonly stop: readonly string[];
  readonly seed: number | undefined;
  /** Whether to return logprobs at all, and how many alternatives per token (0..5 or 0..20). */
  readonly logprobs: boolean;
  readonly topLogprobs: number;
}

/** Who asks for which model: the part of a request that decides what is served. */
export interface ModelRequest {
  readonly team: string;
  readonly model: string;
  readonly adapter: string | undefined;
  readonly user: string | undefined;
}

export interface CompletionServiceDeps {
  readonly models: Pick<ModelStore, 'get'>;
  /** The team's aliases; absent where none are stored, and then every alias name is a 404. */
  readonly aliases?: AliasReader;
  /** Where served completions are recorded for alias traffic and feedback; absent: not recorded. */
  readonly recorder?: CompletionRecorder;
  readonly artifacts: ServingArtifacts;
  /** Numbers in [0, 1) for alias draws. */
  readonly random: () => number;
  /** Unix seconds. */
  readonly now: () => number;
  /** A completion was served but could not be recorded: it is answered anyway, and this is told. */
  readonly onRecordError: (error: unknown, id: string) => void;
}

interface Generated {
  readonly resolved: ResolvedModel;
  readonly result: GenerateResult;
  readonly tokens: GeneratedToken[];
  readonly text: string;
  readonly promptTokens: number;
  readonly virtualTokens: number;
}

const NO_ALIASES: AliasReader = { get: async () => undefined };

function contextExceeded(message: string, param: string): ValidationError {
  return new ValidationError(message, { param, code: 'context_length_exceeded' });
}

export class CompletionService {
  constructor(private readonly deps: CompletionServiceDeps) {}

  async complete(request: ModelRequest, prompt: string, params: SamplingParams): Promise<TextCompletion> {
    const encode = (model: ServingModel) =>
      // An empty prompt starts from end-of-text, as GPT-2 does for unconditional generation; a typed
      // `<|endoftext|>` stays text.
      prompt === '' ? [model.tokenizer.eosTokenId] : model.tokenizer.encodeOrdinary(prompt);
    const out = await this.generate(request, encode, 'prompt', params);
    const completion: TextCompletion = {
      id: completionId('cmpl'),
      object: 'text_completion',
      created: this.deps.now(),
      model: out.resolved.served,
      choices: [
        {
          text: out.text,
          index: 0,
          logprobs: params.logprobs ? completionLogprobs(out.tokens) : null,
          finish_reason: out.result.finishReason,
        },
      ],
      usage: usageOf(out.promptTokens, out.result.tokens.length, out.virtualTokens),
    };
    await this.record(request.team, completion, out.resolved);
    return completion;
  }

  async chat(
    request: ModelRequest,
    messages: readonly ChatMessage[],
    params: SamplingParams,
  ): Promise<ChatCompletion> {
    const encode = (model: ServingModel) => encodeChatPrompt(messages, model.tokenizer);
    const out = await this.generate(request, encode, 'messages', params);
    const completion: ChatCompletion = {
      id: completionId('chatcmpl'),
      object: 'chat.completion',
      created: this.deps.now(),
      model: out.resolved.served,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: out.text, refusal: null },
          logprobs: params.logprobs ? chatLogprobs(out.tokens) : null,
          finish_reason: out.result.finishReason,
        },
      ],
      usage: usageOf(out.promptTokens, out.result.tokens.length, out.virtualTokens),
    };
    await this.record(request.team, completion, out.resolved);
    return completion;
  }

  private async generate(
    request: ModelRequest,
    encode: (model: ServingModel) => number[],
    promptParam: string,
    params: SamplingParams,
  ): Promise<Generated> {
    const resolved = await resolveModel(request, {
      models: this.deps.models,
      aliases: this.deps.aliases ?? NO_ALIASES,
      random: this.deps.random,
    });
    const modelLease = await this.deps.artifacts.model(resolved.weights);
    let prefixLease: ArtifactLease<PromptPrefix> | undefined;
    try {
      const model = modelLease.value;
      if (resolved.prompt) prefixLease = await this.deps.artifacts.prefix(model, resolved.prompt);
      const prefix = prefixLease?.value;
      const ids = encode(model);
      const virtualTokens = prefix?.virtualTokens ?? 0;
      const maxTokens = checkContext(model, virtualTokens, ids.length, params.maxTokens, promptParam);
      const result = generate(model.config, model.weights, ids, {
        maxTokens,
        temperature: params.temperature,
        topP: params.topP,
        stop: params.stop,
        ...(params.seed === undefined ? {} : { seed: params.seed }),
        decode: (tokens) => model.tokenizer.decode(tokens),
        eosTokenId: model.tokenizer.eosTokenId,
        samplableVocabSize: Math.min(model.tokenizer.vocabSize, model.config.vocab_size),
        ...(prefix ? { prefix } : {}),
        ...(params.logprobs ? { topLogprobs: params.topLogprobs } : {}),
      });
      const text = result.text ?? '';
      const tokens = params.logprobs ? tokenDetails(model, result, text) : [];
      return { resolved, result, tokens, text, promptTokens: ids.length, virtualTokens };
    } finally {
      prefixLease?.release();
      modelLease.release();
    }
  }

  private async record(team: string, completion: { id: string; created: number }, resolved: ResolvedModel) {
    if (!this.deps.recorder) return;
    try {
      await this.deps.recorder.recordServed({
        team,
        id: completion.id,
        model: resolved.served,
        alias: resolved.alias,
        aliasGeneration: resolved.aliasGeneration,
        createdAt: completion.created,
      });
    } catch (error) {
      this.deps.onRecordError(error, completion.id);
    }
  }
}

/**
 * The number of tokens to generate: `max_tokens`, which must fit beside the soft prompt and the prompt in
 * the context window, or (not given) whatever room the context leaves.
 */
function checkContext(
  model: ServingModel,
  virtualTokens: number,
  promptTokens: number,
  maxTokens: number | undefined,
  promptParam: string,
): number {
  const context = model.config.n_positions;
  const room = context - virtualTokens - promptTokens;
  const where = virtualTokens > 0 ? ` (${virtualTokens} virtual + ${promptTokens} prompt)` : '';
  if (room < 1) {
    throw contextExceeded(
      `This model's maximum context length is ${context} tokens. However, your ${promptParam} uses ${virtualTokens + promptTokens} tokens${where}, which leaves no room for a completion.`,
      promptParam,
    );
  }
  if (maxTokens === undefined) return room;
  if (maxTokens > room) {
    throw contextExceeded(
      `This model's maximum context length is ${context} tokens. However, you requested ${virtualTokens + promptTokens + maxTokens} tokens (${virtualTokens + promptTokens} in the ${promptParam}${where}, ${maxTokens} in the completion). Please reduce max_tokens or the ${promptParam}.`,
      'max_tokens',
    );
  }
  return maxTokens;
}

/** The generated tokens behind `text` (those a stop sequence cut off are dropped), with alternatives. */
function tokenDetails(model: ServingModel, result: GenerateResult, text: string): GeneratedToken[] {
  const decode = (id: number) => model.tokenizer.decode([id]);
  const details: GeneratedToken[] = [];
  let offset = 0;
  result.tokens.forEach((id, i) => {
    if (offset >= text.length && text.length > 0) return;
    if (text.length === 0 && result.finishReason === 'stop') return;
    const tokenText = decode(id);
    const top = (result.topLogprobs?.[i] ?? [])
      .filter((alt) => Number.isFinite(alt.logprob))
      .map((alt) => ({ text: decode(alt.token), logprob: alt.logprob }));
    details.push({ text: tokenText, logprob: result.logprobs[i] as number, top });
    offset += tokenText.length;
  });
  return details;
}

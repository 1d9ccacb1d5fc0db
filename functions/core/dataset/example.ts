/**
 * What one JSONL line must be to train on: an OpenAI chat example or a prompt/completion pair. The rules
 * follow OpenAI's fine-tuning data checks (same codes, same order of checks), so a file that passes here
 * passes there, and the first problem of a line is the one reported.
 */
import type { DatasetIssueCode } from '#core/dataset/issue-codes.ts';

export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  role: ChatRole;
  content: string;
  name?: string;
  /** 0: the trainer does not learn this (assistant) turn; 1 or absent: it does. */
  weight?: 0 | 1;
}

export interface ChatExample {
  format: 'chat';
  messages: ChatMessage[];
}

export interface PromptCompletionExample {
  format: 'prompt_completion';
  prompt: string;
  completion: string;
}

export type TrainingExample = ChatExample | PromptCompletionExample;

export type DatasetFormat = TrainingExample['format'];

export interface ExampleProblem {
  code: DatasetIssueCode;
  message: string;
}

const ROLES: ReadonlySet<string> = new Set<ChatRole>(['system', 'user', 'assistant']);
const MESSAGE_KEYS: ReadonlySet<string> = new Set(['role', 'content', 'name', 'weight']);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

function problem(code: DatasetIssueCode, message: string): ExampleProblem {
  return { code, message };
}

function checkMessage(value: unknown, index: number): ChatMessage | ExampleProblem {
  const at = `messages[${index}]`;
  if (!isObject(value)) return problem('data_type', `${at} must be an object, not ${describe(value)}.`);
  if (!('role' in value) || !('content' in value)) {
    const missing = 'role' in value ? 'content' : 'role';
    return problem('message_missing_key', `${at} has no '${missing}'.`);
  }
  for (const key in value) {
    if (!MESSAGE_KEYS.has(key)) {
      return problem(
        'message_unrecognized_key',
        `${at} has the key '${key.slice(0, 64)}'; allowed: role, content, name, weight.`,
      );
    }
  }
  const { role, content, name, weight } = value;
  if (typeof role !== 'string' || !ROLES.has(role)) {
    return problem(
      'unrecognized_role',
      `${at} has the role ${JSON.stringify(role).slice(0, 64)}; allowed: system, user, assistant.`,
    );
  }
  if (typeof content !== 'string' || content.length === 0) {
    return problem('missing_content', `${at}.content must be a non-empty string.`);
  }
  if (name !== undefined && typeof name !== 'string') {
    return problem('data_type', `${at}.name must be a string, not ${describe(name)}.`);
  }
  if (weight !== undefined && weight !== 0 && weight !== 1) {
    return problem('invalid_weight', `${at}.weight must be 0 or 1.`);
  }
  const message: ChatMessage = { role: role as ChatRole, content };
  if (name !== undefined) message.name = name;
  if (weight !== undefined) message.weight = weight;
  return message;
}

function checkChat(value: Record<string, unknown>): ChatExample | ExampleProblem {
  for (const key in value) {
    if (key !== 'messages') {
      return problem(
        'example_unrecognized_key',
        `A chat example has the key '${key.slice(0, 64)}'; only 'messages' is allowed.`,
      );
    }
  }
  const list = value.messages;
  if (!Array.isArray(list) || list.length === 0) {
    return problem('missing_messages_list', "'messages' must be a non-empty array of messages.");
  }
  const messages: ChatMessage[] = [];
  let hasAssistant = false;
  for (let i = 0; i < list.length; i++) {
    const checked = checkMessage(list[i], i);
    if ('code' in checked) return checked;
    if (checked.role === 'assistant') hasAssistant = true;
    messages.push(checked);
  }
  if (!hasAssistant) {
    return problem(
      'example_missing_assistant_message',
      'The example has no assistant message to learn from.',
    );
  }
  return { format: 'chat', messages };
}

function checkPromptCompletion(value: Record<string, unknown>): PromptCompletionExample | ExampleProblem {
  for (const key in value) {
    if (key !== 'prompt' && key !== 'completion') {
      return problem(
        'example_unrecognized_key',
        `A prompt/completion example has the key '${key.slice(0, 64)}'; only 'prompt' and 'completion' are allowed.`,
      );
    }
  }
  const { prompt, completion } = value;
  if (typeof prompt !== 'string' || typeof completion !== 'string' || completion.length === 0) {
    return problem(
      'missing_content',
      "A prompt/completion example needs 'prompt' as a string and 'completion' as a non-empty string.",
    );
  }
  return { format: 'prompt_completion', prompt, completion };
}

/** Classifies one parsed JSONL value as a training example, or names the first thing wrong with it. */
export function checkExample(value: unknown): TrainingExample | ExampleProblem {
  if (!isObject(value)) {
    return problem('data_type', `Each line must be a JSON object, not ${describe(value)}.`);
  }
  if ('messages' in value) return checkChat(value);
  if ('prompt' in value || 'completion' in value) return checkPromptCompletion(value);
  return problem(
    'missing_messages_list',
    "The example has neither 'messages' (chat format) nor 'prompt'/'completion'.",
  );
}

/** True when `checkExample` rejected the value. */
export function isProblem(result: TrainingExample | ExampleProblem): result is ExampleProblem {
  return 'code' in result;
}

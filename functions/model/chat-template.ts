import type { ChatMessage, TrainingExample } from '#core/dataset/example.ts';

/**
 * Attune's chat template: how a conversation becomes the one stream of text a GPT-2 model reads.
 *
 * ```text
 * <|system|>\n{system content}\n<|user|>\n{user content}\n<|assistant|>\n{assistant content}<|endoftext|>
 * ```
 *
 * - Every message opens with its role marker and a newline. `<|system|>`, `<|user|>` and `<|assistant|>`
 *   are plain text, not special tokens: any byte-level BPE tokenizer (a user's own GPT-2 included) can
 *   encode them, so the template needs no new embeddings.
 * - A system or user message ends with a newline; an assistant message ends with `<|endoftext|>`, the one
 *   special token GPT-2 has, so generation stops where a trained answer stopped. The next message, if
 *   any, follows that token directly.
 * - Loss: only the assistant's content and its `<|endoftext|>` are trained on (not when the message has
 *   `weight: 0`); everything else is context.
 * - Prompt/completion examples are the prompt as given, then the completion and `<|endoftext|>` (trained).
 * - Optional `name` fields are not rendered.
 *
 * At inference a conversation is rendered the same way and followed by `<|assistant|>\n` (see
 * `chatPromptSegments`), so the model continues exactly where its training answers began.
 */
export const ROLE_MARKERS = {
  system: '<|system|>',
  user: '<|user|>',
  assistant: '<|assistant|>',
} as const;

/**
 * The same template in Jinja, as Hugging Face `transformers` reads it from `tokenizer_config.json`
 * (`chat_template`, with `eos_token` = `<|endoftext|>`), so `tokenizer.apply_chat_template(messages,
 * add_generation_prompt=True)` builds the prompt an Attune-tuned model expects.
 */
export const CHAT_TEMPLATE_JINJA =
  "{% for message in messages %}{{ '<|' + message['role'] + '|>\\n' + message['content'] }}" +
  "{% if message['role'] == 'assistant' %}{{ eos_token }}{% else %}{{ '\\n' }}{% endif %}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}";

/** A piece of the rendered example: text, or the end-of-text token, and whether loss is taken on it. */
export type TemplateSegment =
  | { readonly kind: 'text'; readonly text: string; readonly trained: boolean }
  | { readonly kind: 'end_of_text'; readonly trained: boolean };

/** Appends text, joining it to the previous segment when both are text with the same loss flag. */
function pushText(segments: TemplateSegment[], text: string, trained: boolean): void {
  if (text.length === 0) return;
  const last = segments.at(-1);
  if (last?.kind === 'text' && last.trained === trained) {
    segments[segments.length - 1] = { kind: 'text', text: last.text + text, trained };
  } else {
    segments.push({ kind: 'text', text, trained });
  }
}

function messageSegments(messages: readonly ChatMessage[]): TemplateSegment[] {
  const segments: TemplateSegment[] = [];
  for (const message of messages) {
    pushText(segments, `${ROLE_MARKERS[message.role]}\n`, false);
    if (message.role === 'assistant') {
      // An answer is always a segment of its own, trained or not, so it tokenizes the same either way.
      const trained = message.weight !== 0;
      segments.push({ kind: 'text', text: message.content, trained }, { kind: 'end_of_text', trained });
    } else {
      pushText(segments, `${message.content}\n`, false);
    }
  }
  return segments;
}

/**
 * One training example as template segments. Adjacent untrained text is one segment, so the context
 * before an answer tokenizes exactly as `chatPromptSegments` does at inference.
 */
export function exampleSegments(example: TrainingExample): TemplateSegment[] {
  if (example.format === 'chat') return messageSegments(example.messages);
  const segments: TemplateSegment[] = [];
  pushText(segments, example.prompt, false);
  pushText(segments, example.completion, true);
  segments.push({ kind: 'end_of_text', trained: true });
  return segments;
}

/** The conversation so far, then the opening of the assistant's turn: what the model continues. */
export function chatPromptSegments(messages: readonly ChatMessage[]): TemplateSegment[] {
  const segments = messageSegments(messages);
  pushText(segments, `${ROLE_MARKERS.assistant}\n`, false);
  return segments;
}

/** The template as one string (`<|endoftext|>` written out): for logs, docs and the model card. */
export function renderSegments(segments: readonly TemplateSegment[], endOfText: string): string {
  return segments.map((s) => (s.kind === 'text' ? s.text : endOfText)).join('');
}

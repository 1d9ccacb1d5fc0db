import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ChatExample, ChatMessage } from '#core/dataset/example.ts';
import {
  CHAT_TEMPLATE_JINJA,
  chatPromptSegments,
  exampleSegments,
  renderSegments,
} from '#model/chat-template.ts';

const EOT = '<|endoftext|>';
const chat: ChatExample = {
  format: 'chat',
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Capital of France?' },
    { role: 'assistant', content: 'Paris.' },
  ],
};

describe('chat template', () => {
  it('given system, user and assistant messages, when rendered, then the text is the documented template', () => {
    expect(renderSegments(exampleSegments(chat), EOT)).toBe(
      '<|system|>\nBe brief.\n<|user|>\nCapital of France?\n<|assistant|>\nParis.<|endoftext|>',
    );
  });

  it('given a chat example, then only the answer and its end-of-text are trained, the context is one segment', () => {
    expect(exampleSegments(chat)).toEqual([
      {
        kind: 'text',
        text: '<|system|>\nBe brief.\n<|user|>\nCapital of France?\n<|assistant|>\n',
        trained: false,
      },
      { kind: 'text', text: 'Paris.', trained: true },
      { kind: 'end_of_text', trained: true },
    ]);
  });

  it('given an assistant message with weight 0, then neither it nor its end-of-text is trained', () => {
    const segments = exampleSegments({
      format: 'chat',
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Yo', weight: 0 },
        { role: 'user', content: 'Again' },
        { role: 'assistant', content: 'Hello' },
      ],
    });
    expect(segments.map((s) => s.trained)).toEqual([false, false, false, false, true, true]);
    expect(renderSegments(segments, EOT)).toBe(
      '<|user|>\nHi\n<|assistant|>\nYo<|endoftext|><|user|>\nAgain\n<|assistant|>\nHello<|endoftext|>',
    );
  });

  it('given a prompt/completion example, then the prompt is context and the completion plus end-of-text trained', () => {
    expect(exampleSegments({ format: 'prompt_completion', prompt: 'Q: 2+2?\nA:', completion: ' 4' })).toEqual(
      [
        { kind: 'text', text: 'Q: 2+2?\nA:', trained: false },
        { kind: 'text', text: ' 4', trained: true },
        { kind: 'end_of_text', trained: true },
      ],
    );
  });

  it('given an empty prompt, then no empty segment is produced', () => {
    const segments = exampleSegments({ format: 'prompt_completion', prompt: '', completion: 'text' });
    expect(segments.map((s) => s.kind)).toEqual(['text', 'end_of_text']);
  });

  it('given a conversation for inference, then its prompt is the training context ending with the assistant marker', () => {
    const context = exampleSegments(chat)[0];
    expect(chatPromptSegments(chat.messages.slice(0, 2))).toEqual([context]);
  });
});

interface JinjaReference {
  template: string;
  cases: Array<{ messages: ChatMessage[]; rendered: string; generationPrompt: string }>;
}

/** Rendered by jinja2 as transformers renders `chat_template` (tests/fixtures/tokenizer/chat-template-reference.py). */
const jinja = JSON.parse(
  readFileSync(new URL('../../fixtures/tokenizer/chat-template-reference.json', import.meta.url), 'utf8'),
) as JinjaReference;

describe('chat template against its Jinja form rendered by jinja2', () => {
  it('given the recorded reference, then it was rendered from the current Jinja template', () => {
    expect(jinja.template).toBe(CHAT_TEMPLATE_JINJA);
  });

  it.each(jinja.cases.map((c, i) => [i, c] as const))(
    'given conversation %i, when rendered for training and for generation, then the text equals jinja2',
    (_, reference) => {
      expect(renderSegments(exampleSegments({ format: 'chat', messages: reference.messages }), EOT)).toBe(
        reference.rendered,
      );
      expect(renderSegments(chatPromptSegments(reference.messages), EOT)).toBe(reference.generationPrompt);
    },
  );
});

import { describe, expect, it } from 'vitest';
import { DuplicateCounter } from '#core/dataset/duplicates.ts';
import type { TrainingExample } from '#core/dataset/example.ts';

const chat = (user: string, assistant = 'ok'): TrainingExample => ({
  format: 'chat',
  messages: [
    { role: 'user', content: user },
    { role: 'assistant', content: assistant },
  ],
});

describe('DuplicateCounter', () => {
  it('given the same example twice, when added, then the second is a duplicate', () => {
    const counter = new DuplicateCounter();
    expect(counter.add(chat('hi'))).toBe(false);
    expect(counter.add(chat('hi'))).toBe(true);
    expect(counter.duplicates).toBe(1);
  });

  it('given texts that concatenate equally, when added, then they are distinct', () => {
    const counter = new DuplicateCounter();
    counter.add(chat('ab', 'c'));
    expect(counter.add(chat('a', 'bc'))).toBe(false);
  });

  it('given the same texts under different roles, names or weights, when added, then they are distinct', () => {
    const counter = new DuplicateCounter();
    counter.add({ format: 'chat', messages: [{ role: 'assistant', content: 'x' }] });
    expect(counter.add({ format: 'chat', messages: [{ role: 'assistant', content: 'x', weight: 0 }] })).toBe(
      false,
    );
    expect(counter.add({ format: 'chat', messages: [{ role: 'assistant', content: 'x', name: 'n' }] })).toBe(
      false,
    );
    expect(counter.add({ format: 'chat', messages: [{ role: 'system', content: 'x' }] })).toBe(false);
  });

  it('given prompt/completion pairs, when added, then equal pairs are duplicates', () => {
    const counter = new DuplicateCounter();
    counter.add({ format: 'prompt_completion', prompt: 'p', completion: 'c' });
    expect(counter.add({ format: 'prompt_completion', prompt: 'p', completion: 'c' })).toBe(true);
    expect(counter.add({ format: 'prompt_completion', prompt: 'pc', completion: '' })).toBe(false);
  });

  it('given 100,000 distinct examples and each again, when added, then the table grows and counts exactly', () => {
    const counter = new DuplicateCounter();
    for (let i = 0; i < 100_000; i++) counter.add(chat(`question ${i}`));
    for (let i = 0; i < 100_000; i++) counter.add(chat(`question ${i}`));
    expect(counter.distinct).toBe(100_000);
    expect(counter.duplicates).toBe(100_000);
  });
});

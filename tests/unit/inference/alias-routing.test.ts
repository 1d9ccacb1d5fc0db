import { describe, expect, it } from 'vitest';
import { ConflictError } from '#core/errors.ts';
import { pickVariant, stickyDraw } from '#core/inference/alias-routing.ts';
import type { AliasRecord, AliasVariant } from '#core/inference/ports.ts';

function alias(variants: AliasVariant[], name = 'support-bot'): AliasRecord {
  return { team: 't', name, variants, createdAt: 1, updatedAt: 1, generation: 'g1' };
}

/** A deterministic stream of draws spread evenly over [0, 1). */
function evenDraws(count: number): () => number {
  let i = 0;
  return () => (i++ % count) / count + 0.5 / count;
}

describe('pickVariant', () => {
  it('given weights 1 and 3 and no user, then draws split 1:3', () => {
    const a = alias([
      { model: 'attune-tiny', weight: 1 },
      { model: 'pt:attune-tiny:t::x', weight: 3 },
    ]);
    const random = evenDraws(1000);
    const picks = Array.from({ length: 1000 }, () => pickVariant(a, undefined, random).model);
    expect(picks.filter((m) => m === 'attune-tiny')).toHaveLength(250);
  });

  it('given a user, then every request of that user gets the same variant whatever the random draw', () => {
    const a = alias([
      { model: 'a', weight: 1 },
      { model: 'b', weight: 1 },
    ]);
    const first = pickVariant(a, 'user-42', () => 0).model;
    for (const r of [0, 0.3, 0.7, 0.999]) expect(pickVariant(a, 'user-42', () => r).model).toBe(first);
  });

  it('given many users, then sticky assignments still follow the weights', () => {
    const a = alias([
      { model: 'a', weight: 1 },
      { model: 'b', weight: 3 },
    ]);
    const picks = Array.from({ length: 4000 }, (_, i) => pickVariant(a, `user-${i}`, () => 0).model);
    const share = picks.filter((m) => m === 'a').length / picks.length;
    expect(share).toBeGreaterThan(0.22);
    expect(share).toBeLessThan(0.28);
  });

  it('given a variant of weight 0, then it is never picked', () => {
    const a = alias([
      { model: 'off', weight: 0 },
      { model: 'on', weight: 2 },
    ]);
    const random = evenDraws(100);
    for (let i = 0; i < 100; i++) expect(pickVariant(a, undefined, random).model).toBe('on');
    expect(pickVariant(a, 'someone', random).model).toBe('on');
  });

  it('given a draw at the very top of the range, then the last variant with traffic serves it', () => {
    const a = alias([
      { model: 'a', weight: 0.1 },
      { model: 'b', weight: 0.2 },
      { model: 'c', weight: 0 },
    ]);
    expect(pickVariant(a, undefined, () => 0.9999999999999999).model).toBe('b');
  });

  it('given weights that do not sum to a positive number, then it is a 409', () => {
    const a = alias([{ model: 'a', weight: 0 }]);
    expect(() => pickVariant(a, undefined, Math.random)).toThrow(ConflictError);
  });
});

describe('stickyDraw', () => {
  it('given the same alias and user, then it is stable and in [0, 1); another alias may differ', () => {
    const draw = stickyDraw('bot', 'alice');
    expect(stickyDraw('bot', 'alice')).toBe(draw);
    expect(draw).toBeGreaterThanOrEqual(0);
    expect(draw).toBeLessThan(1);
    expect(stickyDraw('other-bot', 'alice')).not.toBe(draw);
  });
});

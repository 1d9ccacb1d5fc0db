import { afterEach, describe, expect, it, vi } from 'vitest';
import { clockOf, epochSeconds, systemClock } from '#core/clock.ts';

describe('systemClock', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('Given the wall clock set to a moment, then it reads that moment in epoch milliseconds', () => {
    vi.useFakeTimers({ now: 1_795_900_000_123 });
    expect(systemClock()).toBe(1_795_900_000_123);
  });
});

describe('clockOf', () => {
  it('Given dependencies that carry a clock, then that clock', () => {
    const now = () => 42;
    expect(clockOf({ now })).toBe(now);
  });

  it('Given dependencies without a clock, then the wall clock', () => {
    expect(clockOf({})).toBe(systemClock);
  });

  it('Given a clock explicitly undefined, then the wall clock', () => {
    expect(clockOf({ now: undefined })).toBe(systemClock);
  });
});

describe('epochSeconds', () => {
  it('Given a reading with milliseconds, then whole seconds, rounded down', () => {
    expect(epochSeconds(() => 1_795_900_000_999)).toBe(1_795_900_000);
  });

  it('Given a reading on a whole second, then that second', () => {
    expect(epochSeconds(() => 1_795_900_000_000)).toBe(1_795_900_000);
  });
});

import { describe, expect, it } from 'vitest';
import { TokenStatsAccumulator } from '#core/token-stats.ts';

function statsOf(counts: number[]) {
  const stats = new TokenStatsAccumulator();
  for (const count of counts) stats.add(count);
  return stats.summary();
}

describe('TokenStatsAccumulator', () => {
  it('given no example, when summarised, then there are no statistics', () => {
    expect(statsOf([])).toBeNull();
  });

  it('given 1..100, when summarised, then min, max, mean, nearest-rank p95 and total are exact', () => {
    const counts = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(statsOf(counts)).toEqual({ min: 1, max: 100, mean: 50.5, p95: 95, total: 5050 });
  });

  it('given one example, when summarised, then every statistic is its count', () => {
    expect(statsOf([7])).toEqual({ min: 7, max: 7, mean: 7, p95: 7, total: 7 });
  });

  it('given counts above the dense histogram, when summarised, then p95 comes from the sparse part', () => {
    const counts = [
      ...Array.from({ length: 90 }, () => 10),
      ...Array.from({ length: 10 }, (_, i) => 70_000 + i),
    ];
    const stats = statsOf(counts);
    expect(stats?.p95).toBe(70_004);
    expect(stats?.max).toBe(70_009);
  });

  it('given a mean with many decimals, when summarised, then it is rounded to two', () => {
    expect(statsOf([1, 1, 2])?.mean).toBe(1.33);
  });
});

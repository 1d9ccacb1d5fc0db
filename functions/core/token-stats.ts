/**
 * Token statistics of a dataset, gathered one example at a time in constant memory: counts go into an
 * exact histogram (one slot per token count), not a list, so min, max, mean, total and an exact p95 come
 * out of at most 256 kB plus one map entry per distinct count above 65,535, whatever the number of examples.
 */
import type { TokenStatistics } from '#core/files.ts';

/** Token counts below this have a dense histogram slot; larger (rare) counts go to a map. */
const DENSE_LIMIT = 1 << 16;

export class TokenStatsAccumulator {
  private readonly dense = new Uint32Array(DENSE_LIMIT);
  private readonly sparse = new Map<number, number>();
  private examples = 0;
  private total = 0;
  private min = Number.POSITIVE_INFINITY;
  private max = 0;

  add(tokens: number): void {
    if (tokens < DENSE_LIMIT) {
      this.dense[tokens] = (this.dense[tokens] as number) + 1;
    } else {
      this.sparse.set(tokens, (this.sparse.get(tokens) ?? 0) + 1);
    }
    this.examples++;
    this.total += tokens;
    if (tokens < this.min) this.min = tokens;
    if (tokens > this.max) this.max = tokens;
  }

  /**
   * The statistics so far, or null before the first example. `mean` is rounded to two decimals; `p95` is
   * the nearest-rank 95th percentile: the smallest count that at least 95% of examples do not exceed.
   */
  summary(): TokenStatistics | null {
    if (this.examples === 0) return null;
    return {
      min: this.min,
      max: this.max,
      mean: Math.round((this.total / this.examples) * 100) / 100,
      p95: this.percentile(0.95),
      total: this.total,
    };
  }

  private percentile(fraction: number): number {
    const rank = Math.ceil(fraction * this.examples);
    let seen = 0;
    const denseEnd = Math.min(this.max, DENSE_LIMIT - 1);
    for (let tokens = this.min; tokens <= denseEnd; tokens++) {
      seen += this.dense[tokens] as number;
      if (seen >= rank) return tokens;
    }
    for (const tokens of [...this.sparse.keys()].sort((a, b) => a - b)) {
      seen += this.sparse.get(tokens) as number;
      if (seen >= rank) return tokens;
    }
    return this.max;
  }
}

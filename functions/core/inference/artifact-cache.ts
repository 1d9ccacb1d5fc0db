/**
 * The warm memory of an inference process: models, tuned prompts and prompt prefixes, kept across
 * requests in one LRU bounded by their total bytes (a Lambda has a fixed memory size, whatever mix of
 * artifacts its traffic asks for).
 *
 * - Single-flight: a cold key requested by several callers at once is loaded once; they all wait on that
 *   one load. A failed load is not cached: the next request tries again.
 * - Leases: a caller holds what it got until it calls `release()`. An entry in use is never disposed, so
 *   an eviction caused by another request's load cannot free weights a generation is reading; the cache
 *   may run over its bound while entries are held and shrinks back as they are released.
 * - Eviction calls the entry's `dispose` hook (tensor memory is not garbage-collected).
 */

/** What a loader hands the cache: the value, its size, and how to free it when evicted. */
export interface LoadedArtifact<T> {
  readonly value: T;
  readonly bytes: number;
  readonly dispose?: () => void;
}

/** A held artifact; `release` exactly once when done with `value`. */
export interface ArtifactLease<T> {
  readonly value: T;
  release(): void;
}

export interface ArtifactCacheStats {
  readonly entries: number;
  readonly bytes: number;
  readonly maxBytes: number;
  readonly loads: number;
  readonly hits: number;
  readonly evictions: number;
}

interface Entry {
  readonly value: unknown;
  readonly bytes: number;
  readonly dispose: (() => void) | undefined;
  holders: number;
}

export class ArtifactCache {
  /** Insertion order is recency order: the first key is the least recently used. */
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<Entry>>();
  private totalBytes = 0;
  private loads = 0;
  private hits = 0;
  private evictions = 0;

  constructor(private readonly maxBytes: number) {
    if (!(Number.isFinite(maxBytes) && maxBytes > 0)) {
      throw new RangeError(`an artifact cache needs a positive byte bound, got ${maxBytes}`);
    }
  }

  /**
   * The artifact under `key`, loaded by `load` if it is not in memory. Every caller gets its own lease;
   * a key's loader should always build the same artifact.
   */
  async acquire<T>(key: string, load: () => Promise<LoadedArtifact<T>>): Promise<ArtifactLease<T>> {
    let entry = await this.entryFor(key, load);
    // Between a load's end and this caller resuming, another request may have evicted (and disposed) it.
    while (this.entries.get(key) !== entry) entry = await this.entryFor(key, load);
    entry.holders += 1;
    let released = false;
    return {
      value: entry.value as T,
      release: () => {
        if (released) return;
        released = true;
        entry.holders -= 1;
        this.evictOverBound();
      },
    };
  }

  /** Whether `key` is in memory now (not counting a load in progress). */
  has(key: string): boolean {
    return this.entries.has(key);
  }

  stats(): ArtifactCacheStats {
    return {
      entries: this.entries.size,
      bytes: this.totalBytes,
      maxBytes: this.maxBytes,
      loads: this.loads,
      hits: this.hits,
      evictions: this.evictions,
    };
  }

  /** Disposes every entry no one holds (shutdown, tests). */
  clear(): void {
    for (const [key, entry] of [...this.entries]) if (entry.holders === 0) this.evict(key, entry);
  }

  private async entryFor<T>(key: string, load: () => Promise<LoadedArtifact<T>>): Promise<Entry> {
    const cached = this.entries.get(key);
    if (cached) {
      this.hits += 1;
      this.entries.delete(key);
      this.entries.set(key, cached);
      return cached;
    }
    const pending = this.loading.get(key);
    if (pending) return pending;
    const started = this.load(key, load);
    this.loading.set(key, started);
    try {
      return await started;
    } finally {
      this.loading.delete(key);
    }
  }

  private async load<T>(key: string, load: () => Promise<LoadedArtifact<T>>): Promise<Entry> {
    this.loads += 1;
    const loaded = await load();
    if (!(Number.isFinite(loaded.bytes) && loaded.bytes >= 0)) {
      loaded.dispose?.();
      throw new RangeError(`artifact ${key} reported an invalid size ${loaded.bytes}`);
    }
    const entry: Entry = { value: loaded.value, bytes: loaded.bytes, dispose: loaded.dispose, holders: 0 };
    this.entries.set(key, entry);
    this.totalBytes += entry.bytes;
    // Held for the duration of the eviction pass, so the entry just loaded is never its first victim.
    entry.holders += 1;
    this.evictOverBound();
    entry.holders -= 1;
    return entry;
  }

  /** Evicts least recently used entries that nobody holds until the total fits the bound. */
  private evictOverBound(): void {
    if (this.totalBytes <= this.maxBytes) return;
    for (const [key, entry] of [...this.entries]) {
      if (this.totalBytes <= this.maxBytes) return;
      if (entry.holders === 0) this.evict(key, entry);
    }
  }

  private evict(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.totalBytes -= entry.bytes;
    this.evictions += 1;
    entry.dispose?.();
  }
}

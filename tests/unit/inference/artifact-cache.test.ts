import { describe, expect, it } from 'vitest';
import { ArtifactCache, type LoadedArtifact } from '#core/inference/artifact-cache.ts';

/** A loader that counts its calls and records disposals by name. */
function loaderFor(disposed: string[], calls: Map<string, number>) {
  return (name: string, bytes: number) => async (): Promise<LoadedArtifact<string>> => {
    calls.set(name, (calls.get(name) ?? 0) + 1);
    return { value: name, bytes, dispose: () => disposed.push(name) };
  };
}

async function take(cache: ArtifactCache, key: string, load: () => Promise<LoadedArtifact<string>>) {
  const lease = await cache.acquire(key, load);
  lease.release();
  return lease.value;
}

describe('ArtifactCache', () => {
  it('given a key loaded once, when it is acquired again, then the loader is not called again', async () => {
    const calls = new Map<string, number>();
    const load = loaderFor([], calls);
    const cache = new ArtifactCache(100);
    expect(await take(cache, 'a', load('a', 10))).toBe('a');
    expect(await take(cache, 'a', load('a', 10))).toBe('a');
    expect(calls.get('a')).toBe(1);
    expect(cache.stats()).toMatchObject({ entries: 1, bytes: 10, loads: 1, hits: 1 });
  });

  it('given entries over the byte bound, then the least recently used are evicted and disposed', async () => {
    const disposed: string[] = [];
    const load = loaderFor(disposed, new Map());
    const cache = new ArtifactCache(100);
    await take(cache, 'a', load('a', 40));
    await take(cache, 'b', load('b', 40));
    await take(cache, 'a', load('a', 40)); // a is now more recent than b
    await take(cache, 'c', load('c', 40));
    expect(disposed).toEqual(['b']);
    expect(cache.has('a')).toBe(true);
    expect(cache.has('b')).toBe(false);
    expect(cache.stats()).toMatchObject({ entries: 2, bytes: 80, evictions: 1 });
  });

  it('given the bound is reached exactly, then nothing is evicted', async () => {
    const disposed: string[] = [];
    const load = loaderFor(disposed, new Map());
    const cache = new ArtifactCache(100);
    await take(cache, 'a', load('a', 60));
    await take(cache, 'b', load('b', 40));
    expect(disposed).toEqual([]);
    expect(cache.stats().bytes).toBe(100);
  });

  it('given two held entries over the bound, then both survive until the older is released and evicted', async () => {
    const disposed: string[] = [];
    const load = loaderFor(disposed, new Map());
    const cache = new ArtifactCache(100);
    const held = await cache.acquire('a', load('a', 60));
    const other = await cache.acquire('b', load('b', 60));
    expect(disposed).toEqual([]);
    expect(cache.stats().bytes).toBe(120);
    held.release();
    expect(disposed).toEqual(['a']);
    expect(cache.stats().bytes).toBe(60);
    other.release();
    expect(disposed).toEqual(['a']);
  });

  it('given several callers of a cold key at once, then it is loaded once and all get it', async () => {
    const calls = new Map<string, number>();
    let finish: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const cache = new ArtifactCache(100);
    const slow = async (): Promise<LoadedArtifact<string>> => {
      calls.set('a', (calls.get('a') ?? 0) + 1);
      await gate;
      return { value: 'a', bytes: 1 };
    };
    const waiting = Promise.all([1, 2, 3].map(() => cache.acquire('a', slow)));
    finish();
    const leases = await waiting;
    expect(leases.map((l) => l.value)).toEqual(['a', 'a', 'a']);
    expect(calls.get('a')).toBe(1);
    for (const lease of leases) lease.release();
  });

  it('given a failed load, then every waiter gets the error and the next request loads again', async () => {
    const cache = new ArtifactCache(100);
    let attempts = 0;
    const flaky = async (): Promise<LoadedArtifact<string>> => {
      attempts += 1;
      await Promise.resolve();
      if (attempts === 1) throw new Error('S3 is down');
      return { value: 'a', bytes: 1 };
    };
    const first = await Promise.allSettled([cache.acquire('a', flaky), cache.acquire('a', flaky)]);
    expect(first.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(cache.has('a')).toBe(false);
    expect(await take(cache, 'a', flaky)).toBe('a');
    expect(attempts).toBe(2);
  });

  it('given a lease released twice, then the entry is counted released once', async () => {
    const disposed: string[] = [];
    const load = loaderFor(disposed, new Map());
    const cache = new ArtifactCache(100);
    const first = await cache.acquire('a', load('a', 60));
    const second = await cache.acquire('a', load('a', 60));
    first.release();
    first.release();
    // Still held by `second`, so the newcomer is the one that cannot stay.
    await take(cache, 'b', load('b', 60));
    expect(disposed).toEqual(['b']);
    second.release();
    expect(cache.has('a')).toBe(true);
    await take(cache, 'c', load('c', 60));
    expect(disposed).toEqual(['b', 'a']);
  });

  it('given a loader that reports a negative size, then the artifact is disposed and the load fails', async () => {
    const disposed: string[] = [];
    const cache = new ArtifactCache(100);
    await expect(cache.acquire('a', loaderFor(disposed, new Map())('a', -1))).rejects.toThrow(/invalid size/);
    expect(disposed).toEqual(['a']);
  });

  it('given a non-positive bound, then construction fails', () => {
    expect(() => new ArtifactCache(0)).toThrow(RangeError);
  });

  it('given clear, then every unheld entry is disposed', async () => {
    const disposed: string[] = [];
    const load = loaderFor(disposed, new Map());
    const cache = new ArtifactCache(100);
    await take(cache, 'a', load('a', 10));
    const held = await cache.acquire('b', load('b', 10));
    cache.clear();
    expect(disposed).toEqual(['a']);
    expect(cache.stats().entries).toBe(1);
    held.release();
  });
});

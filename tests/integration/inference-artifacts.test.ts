import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArtifactDownloader } from '#aws/artifact-downloader.ts';
import { ObjectStore } from '#aws/object-store.ts';
import { testClients, testConfig } from '#tests/test-clients.ts';

/** The S3-to-disk artifact cache against s3rver. */

let store: ObjectStore;
let cacheDir: string;
const prefix = `teams/t-dl/models/ftjob-${randomUUID().slice(0, 8)}/`;
const FILES = {
  'adapter_config.json': '{"peft_type":"PROMPT_TUNING"}',
  'adapter_model.safetensors': 'weights',
};
const NAMES = Object.keys(FILES);

beforeAll(async () => {
  const config = testConfig();
  store = new ObjectStore(testClients().s3, config.bucketName);
  for (const [name, body] of Object.entries(FILES)) await store.put(prefix + name, body);
  cacheDir = await mkdtemp(path.join(tmpdir(), 'attune-dl-'));
});

afterAll(async () => {
  for (const name of NAMES) await store.delete(prefix + name);
  await rm(cacheDir, { recursive: true, force: true });
});

describe('ArtifactDownloader', () => {
  it('given several fetches of a prefix at once, then it is downloaded once and every file is on disk', async () => {
    const downloader = new ArtifactDownloader(store, path.join(cacheDir, 'once'));
    const dirs = await Promise.all([1, 2, 3].map(() => downloader.fetch(prefix, NAMES)));
    expect(new Set(dirs).size).toBe(1);
    expect(downloader.stats()).toEqual({ downloads: 1, diskHits: 0 });
    for (const [name, body] of Object.entries(FILES)) {
      expect(await readFile(path.join(dirs[0] as string, name), 'utf8')).toBe(body);
    }
  });

  it('given a finished download, when another downloader fetches it, then it is read from disk', async () => {
    const root = path.join(cacheDir, 'disk');
    await new ArtifactDownloader(store, root).fetch(prefix, NAMES);
    const later = new ArtifactDownloader(store, root);
    await later.fetch(prefix, NAMES);
    expect(later.stats()).toEqual({ downloads: 0, diskHits: 1 });
  });

  it('given a download cut short (no completion marker), then it is downloaded again', async () => {
    const root = path.join(cacheDir, 'torn');
    const dir = await new ArtifactDownloader(store, root).fetch(prefix, NAMES);
    await unlink(path.join(dir, '.attune-complete'));
    await unlink(path.join(dir, 'adapter_model.safetensors'));
    const again = new ArtifactDownloader(store, root);
    await again.fetch(prefix, NAMES);
    expect(again.stats().downloads).toBe(1);
    expect(await readFile(path.join(dir, 'adapter_model.safetensors'), 'utf8')).toBe('weights');
  });

  it('given a missing object, then the fetch fails and leaves nothing that looks complete', async () => {
    const downloader = new ArtifactDownloader(store, path.join(cacheDir, 'missing'));
    await expect(downloader.fetch(prefix, [...NAMES, 'absent.bin'])).rejects.toThrow();
    const dir = downloader.directoryFor(prefix, [...NAMES, 'absent.bin']);
    expect(await readdir(dir)).not.toContain('.attune-complete');
  });

  it('given two prefixes, then they land in different directories named after the prefix', () => {
    const downloader = new ArtifactDownloader(store, cacheDir);
    const a = downloader.directoryFor('teams/a/models/ftjob-1/', NAMES);
    const b = downloader.directoryFor('teams/b/models/ftjob-1/', NAMES);
    expect(a).not.toBe(b);
    expect(path.basename(a)).toMatch(/^teams_a_models_ftjob-1-[0-9a-f]{16}$/);
  });
});

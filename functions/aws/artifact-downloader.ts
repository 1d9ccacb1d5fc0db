import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { access, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ObjectStore } from '#aws/object-store.ts';

/**
 * Tuned artifacts (a model directory, a PEFT prompt) copied from the bucket to local disk, where the model
 * loaders read them. The disk copy outlives the in-memory cache: a model evicted from memory, or a new
 * handler instance in the same container, loads from disk instead of S3 again.
 *
 * A directory is complete once its marker file exists: files are streamed to temporary names, renamed,
 * and the marker is written last, so a download cut short (a timeout, a crash) is never mistaken for a
 * finished one and is simply done again. Concurrent fetches of the same prefix share one download.
 */

const COMPLETE_MARKER = '.attune-complete';

export interface ArtifactDownloaderStats {
  readonly downloads: number;
  readonly diskHits: number;
}

export class ArtifactDownloader {
  private readonly inFlight = new Map<string, Promise<string>>();
  private downloads = 0;
  private diskHits = 0;

  constructor(
    private readonly store: ObjectStore,
    /** Root of the disk cache (in Lambda, under /tmp). */
    private readonly cacheDir: string,
  ) {}

  /**
   * The local directory holding `prefix + name` for every name, downloading them if they are not on
   * disk yet. The directory name is derived from the prefix, so the same prefix always lands in the same
   * place and different prefixes never collide.
   */
  async fetch(prefix: string, names: readonly string[]): Promise<string> {
    const dir = this.directoryFor(prefix, names);
    const running = this.inFlight.get(dir);
    if (running) return running;
    const started = this.ensure(dir, prefix, names).finally(() => this.inFlight.delete(dir));
    this.inFlight.set(dir, started);
    return started;
  }

  stats(): ArtifactDownloaderStats {
    return { downloads: this.downloads, diskHits: this.diskHits };
  }

  /** `<cacheDir>/<readable tail of the prefix>-<hash of prefix and names>`. */
  directoryFor(prefix: string, names: readonly string[]): string {
    const hash = createHash('sha256')
      .update(prefix)
      .update('\u0000')
      .update([...names].sort().join('\u0000'))
      .digest('hex')
      .slice(0, 16);
    const tail = prefix
      .replace(/[^A-Za-z0-9._-]+/g, '_')
      .slice(-60)
      .replace(/^_+|_+$/g, '');
    return path.join(this.cacheDir, `${tail}-${hash}`);
  }

  private async ensure(dir: string, prefix: string, names: readonly string[]): Promise<string> {
    if (await exists(path.join(dir, COMPLETE_MARKER))) {
      this.diskHits += 1;
      return dir;
    }
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    await Promise.all(names.map((name) => this.download(prefix + name, path.join(dir, name))));
    await writeFile(path.join(dir, COMPLETE_MARKER), `${new Date().toISOString()}\n`);
    this.downloads += 1;
    return dir;
  }

  private async download(key: string, file: string): Promise<void> {
    const partial = `${file}.partial`;
    const { body } = await this.store.stream(key);
    await pipeline(body, createWriteStream(partial));
    await rename(partial, file);
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '#trainer/env.ts';

/**
 * The trainer images run `npm ci` on containers/trainer/image/package-lock.json, so a build installs what
 * that lockfile names. These tests keep it the root lockfile's subset (`npm run lock:trainer-image`
 * derives it), so an image gets the very versions the test suite ran, and keep the image manifest equal
 * to what the trainer imports.
 */

interface Lockfile {
  readonly packages: Record<
    string,
    { readonly version?: string; readonly dependencies?: Record<string, string> }
  >;
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(path.join(REPO_ROOT, file), 'utf8')) as T;

const IMAGE_DIR = 'containers/trainer/image';
const rootLock = readJson<Lockfile>('package-lock.json');
const imageLock = readJson<Lockfile>(`${IMAGE_DIR}/package-lock.json`);
const imageManifest = readJson<{ dependencies: Record<string, string> }>(`${IMAGE_DIR}/package.json`);
const RELOCK = 'run `npm run lock:trainer-image`';

/** The packages that files outside node_modules import, by name, as esbuild resolves the trainer's graph. */
async function packagesImportedByTrainer(): Promise<string[]> {
  const { metafile } = await build({
    entryPoints: [path.join(REPO_ROOT, 'containers/trainer/main.ts')],
    absWorkingDir: REPO_ROOT,
    bundle: true,
    platform: 'node',
    format: 'esm',
    write: false,
    outdir: 'unused',
    metafile: true,
    logLevel: 'silent',
    loader: { '.node': 'empty', '.wasm': 'empty' },
  });
  const names = new Set<string>();
  for (const [file, input] of Object.entries(metafile.inputs)) {
    if (file.includes('node_modules/')) continue;
    for (const imported of input.imports) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(imported.path);
      if (match?.[1]) names.add(match[1]);
    }
  }
  return [...names].sort();
}

describe('the trainer image lockfile', () => {
  it('Given both lockfiles, when compared, then the image installs every package at the version the root lockfile has', () => {
    const entries = Object.entries(imageLock.packages).filter(([key]) => key !== '');
    expect(entries.length).toBeGreaterThan(0);
    for (const [key, entry] of entries) {
      expect(rootLock.packages[key]?.version, `${key}: ${RELOCK}`).toBe(entry.version);
    }
  });

  it("Given the image lockfile, when its root entry is read, then it names exactly the image manifest's dependencies", () => {
    expect(imageLock.packages['']?.dependencies, RELOCK).toEqual(imageManifest.dependencies);
  });

  it('Given the trainer entrypoint, when its imports are resolved, then the image manifest holds exactly those packages and tsx', async () => {
    const imported = await packagesImportedByTrainer();

    expect(imported).toContain('@aws-lambda-powertools/logger');
    expect([...imported, 'tsx'].sort()).toEqual(Object.keys(imageManifest.dependencies).sort());
  });
});

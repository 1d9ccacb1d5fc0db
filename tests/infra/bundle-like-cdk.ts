import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { esbuildBuildOptions, LAMBDA_BUNDLE_FILE, REPO_ROOT } from '../../infra/constructs/bundling.ts';

/** A bundle on disk, as the CDK would upload it. */
export interface LambdaBundle {
  /** The directory the CDK would zip: `index.mjs` and its source map. */
  readonly dir: string;
  /** Absolute path of `index.mjs`, ready for `import()`. */
  readonly file: string;
}

/**
 * Bundles one Lambda entry (relative to the repository root) into a fresh temporary directory with the
 * very options the CDK construct uses (`infra/constructs/bundling.ts`), so a test can load the deployable
 * artifact itself: a missing file or a dependency that does not bundle fails here, not after deploy.
 */
export async function bundleLikeCdk(entry: string): Promise<LambdaBundle> {
  const dir = await mkdtemp(join(tmpdir(), 'attune-bundle-'));
  await build(esbuildBuildOptions(join(REPO_ROOT, entry), dir));
  return { dir, file: join(dir, LAMBDA_BUNDLE_FILE) };
}

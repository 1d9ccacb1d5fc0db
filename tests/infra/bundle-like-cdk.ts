import { execFileSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ICommandHooks } from 'aws-cdk-lib/aws-lambda-nodejs';
import { build } from 'esbuild';
import { esbuildBuildOptions, LAMBDA_BUNDLE_FILE, REPO_ROOT } from '../../infra/constructs/bundling.ts';

/** A bundle on disk, as the CDK would upload it. */
export interface LambdaBundle {
  /** The directory the CDK would zip: `index.mjs`, its source map, and whatever the hooks copied in. */
  readonly dir: string;
  /** Absolute path of `index.mjs`, ready for `import()`. */
  readonly file: string;
}

/**
 * Bundles one Lambda entry (relative to the repository root) into a fresh temporary directory with the
 * very options the CDK construct uses (`infra/constructs/bundling.ts`), so a test can load the deployable
 * artifact itself: a missing file or a dependency that does not bundle fails here, not after deploy.
 *
 * `commandHooks` are the function's own (the object its construct passes to `nodejsBundlingOptions`), run
 * as the CDK's local bundling runs them: each command on its own with `bash -c`, in the repository root,
 * with `inputDir` the repository root and `outputDir` the bundle directory; a failing command throws.
 */
export async function bundleLikeCdk(entry: string, commandHooks?: ICommandHooks): Promise<LambdaBundle> {
  const dir = await mkdtemp(join(tmpdir(), 'attune-bundle-'));
  runHooks(commandHooks?.beforeBundling(REPO_ROOT, dir));
  await build(esbuildBuildOptions(join(REPO_ROOT, entry), dir));
  runHooks(commandHooks?.afterBundling(REPO_ROOT, dir));
  return { dir, file: join(dir, LAMBDA_BUNDLE_FILE) };
}

function runHooks(commands: readonly string[] = []): void {
  for (const command of commands) {
    execFileSync('bash', ['-c', command], { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  }
}

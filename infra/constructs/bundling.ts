import { fileURLToPath } from 'node:url';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, type ICommandHooks, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

/**
 * How every Attune Lambda is bundled, in one place, so that the CDK construct and the test that loads the
 * deployable artifact (tests/infra/bundle.test.ts) cannot drift apart.
 *
 * The CDK runs the esbuild CLI; `esbuildBuildOptions` is the same build expressed for esbuild's JS API,
 * flag for flag (see `Bundling.buildEsbuildArgs` in aws-cdk-lib/aws-lambda-nodejs).
 */

/** The repository root: entry files and the lock file are resolved from here, whatever the caller's cwd. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Node 22, the LTS that the trainer images and the test suite run too (package.json pins npm's `node`
 * package at 22, so `npm test` runs vitest on it), so what is tested is what runs. Not Node 24: the
 * trainer images' native TF.js backends (tfjs-node and tfjs-node-gpu 4.22.0, the last release) call
 * `util.isNullOrUndefined`, which Node 23 removed, and one Node for every part keeps one test run enough.
 * Node 22 is supported until 2027-04-30.
 */
export const LAMBDA_RUNTIME = Runtime.NODEJS_22_X;

/** Graviton: cheaper per GB-second than x86 and nothing in the bundle is native. */
export const LAMBDA_ARCHITECTURE = Architecture.ARM_64;

/** The esbuild `--target` that matches `LAMBDA_RUNTIME`. */
export const LAMBDA_ESBUILD_TARGET = 'node22';

/**
 * ESM output has no `require`; CommonJS dependencies bundled into it (and Node built-ins they load
 * dynamically) still call it, so the bundle defines one from `import.meta.url`.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __attuneCreateRequire } from 'node:module'; const require = __attuneCreateRequire(import.meta.url);";

/**
 * Nothing is left external, the AWS SDK included: the bundle carries the exact `@aws-sdk/*` versions
 * package.json pins (and the tests ran against), not whichever version the Lambda runtime ships.
 */
export const LAMBDA_EXTERNAL_MODULES: readonly string[] = [];

/** Prefer packages' ESM builds, then CommonJS, as the CDK recommends for ESM output. */
export const LAMBDA_MAIN_FIELDS: readonly string[] = ['module', 'main'];

/** The file name the CDK gives an ESM bundle; the Lambda handler is `index.handler`. */
export const LAMBDA_BUNDLE_FILE = 'index.mjs';

/** Minified with a source map and names kept, so stack traces (with `--enable-source-maps`) stay readable. */
const MINIFY = true;
const SOURCE_MAP = true;
const KEEP_NAMES = true;

/**
 * The `bundling` options every Attune `NodejsFunction` gets: local esbuild, never Docker.
 *
 * @param commandHooks shell commands a function needs around esbuild (e.g. copying files the bundle reads
 *   at run time beside it); the CDK runs each with `bash -c` in the repository root.
 */
export function nodejsBundlingOptions(commandHooks?: ICommandHooks): BundlingOptions {
  return {
    ...(commandHooks ? { commandHooks } : {}),
    forceDockerBundling: false,
    format: OutputFormat.ESM,
    target: LAMBDA_ESBUILD_TARGET,
    minify: MINIFY,
    sourceMap: SOURCE_MAP,
    keepNames: KEEP_NAMES,
    mainFields: [...LAMBDA_MAIN_FIELDS],
    externalModules: [...LAMBDA_EXTERNAL_MODULES],
    banner: ESM_REQUIRE_BANNER,
  };
}

/**
 * The same build for esbuild's JS API: what the CDK's CLI invocation
 * (`esbuild --bundle <entry> --target=node22 --platform=node --format=esm --outfile=<dir>/index.mjs --minify
 * --sourcemap --keep-names --banner:js=… --main-fields=module,main`, run in the repository root) produces.
 *
 * @param entry absolute path of the handler's entry file
 * @param outdir directory that receives `index.mjs` and its source map
 */
export function esbuildBuildOptions(entry: string, outdir: string): BuildOptions {
  return {
    entryPoints: [entry],
    bundle: true,
    target: LAMBDA_ESBUILD_TARGET,
    platform: 'node',
    format: 'esm',
    outfile: `${outdir}/${LAMBDA_BUNDLE_FILE}`,
    minify: MINIFY,
    sourcemap: SOURCE_MAP,
    keepNames: KEEP_NAMES,
    external: [...LAMBDA_EXTERNAL_MODULES],
    banner: { js: ESM_REQUIRE_BANNER },
    mainFields: [...LAMBDA_MAIN_FIELDS],
    absWorkingDir: REPO_ROOT,
    logLevel: 'warning',
  };
}

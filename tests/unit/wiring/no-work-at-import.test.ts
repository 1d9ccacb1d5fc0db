import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * ARCHITECTURE.md's wiring rule: importing a module has no side effect; only each entry point's composition
 * root parses the environment and builds clients, at init. Every other module under functions/ is imported
 * here in a child process whose environment holds nothing but PATH (no TABLE_NAME, BUCKET_NAME, region or
 * endpoints), so a module that reads its configuration, builds a client or a singleton at import fails.
 */

const run = promisify(execFile);
const ROOT = process.cwd();

/** The Lambda entry files: the composition roots, meant to parse the environment and build at init. */
const ENTRY_FILES = new Set([
  'functions/http/lambda.ts',
  'functions/inference/lambda.ts',
  'functions/events/ingest.ts',
  'functions/events/batch-status.ts',
  'functions/events/dispatch-sweep.ts',
]);

/** Every TypeScript module under functions/ (the native kernels' C sources and declarations aside). */
function functionModules(): string[] {
  return readdirSync(join(ROOT, 'functions'), { recursive: true, encoding: 'utf8' })
    .map((file) => `functions/${file.split('\\').join('/')}`)
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .sort();
}

/**
 * Imports each file in turn in a fresh `node --import tsx` whose environment is only PATH; prints
 * `FAIL <file>: <error>` for each that throws, then `OK <count>` when none did.
 */
const IMPORT_EACH = `
const files = process.argv.slice(1);
const failures = [];
for (const file of files) {
  try {
    await import(new URL(file, 'file://' + process.cwd() + '/').href);
  } catch (error) {
    failures.push('FAIL ' + file + ': ' + (error && error.stack ? error.stack : String(error)));
  }
}
console.log(failures.length === 0 ? 'OK ' + files.length : failures.join('\\n'));
`;

async function importInCleanEnv(files: readonly string[]): Promise<string> {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '--eval', IMPORT_EACH, ...files],
    { cwd: ROOT, env: { PATH: process.env.PATH ?? '' }, timeout: 50_000, maxBuffer: 16 * 1024 * 1024 },
  );
  return stdout.trim();
}

describe('importing functions/', () => {
  it('Given an environment with no configuration, then every module but the entry files imports without throwing', async () => {
    const modules = functionModules().filter((file) => !ENTRY_FILES.has(file));
    expect(modules.length).toBeGreaterThan(100);
    expect(await importInCleanEnv(modules)).toBe(`OK ${modules.length}`);
  });

  it('Given the same environment, then an entry file fails at import, as a composition root must', async () => {
    const output = await importInCleanEnv(['functions/events/dispatch-sweep.ts']);
    expect(output).toMatch(/^FAIL functions\/events\/dispatch-sweep\.ts: /);
  });
});

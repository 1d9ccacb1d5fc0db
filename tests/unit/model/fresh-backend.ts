import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { NativeBlasOutcome } from '#model/native/native-blas.ts';

/** What init-backend-process.ts saw in its own process. */
export interface FreshBackend {
  /** What the first and the second initBackend call returned. */
  readonly backends: string[];
  /** Every line initBackend logged over both calls. */
  readonly lines: string[];
  /** nativeBlasOutcome() after the calls, less the loaded addon (not JSON). */
  readonly outcome: Pick<NativeBlasOutcome, 'ok'> & { readonly reason?: string };
  /** [[1, 2]] × [[3], [4]] on the chosen backend. */
  readonly product: number[][];
}

const ENTRY = path.join(import.meta.dirname, 'init-backend-process.ts');
const REPO_ROOT = path.resolve(import.meta.dirname, '../../..');

/**
 * Runs initBackend in a process of its own, with `env` added to this one's: the backend is chosen once per
 * process, and the unit project's test files share worker processes, so a test of that first choice
 * cannot make it in its own.
 */
export async function initBackendInFreshProcess(env: Record<string, string> = {}): Promise<FreshBackend> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', ENTRY], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as FreshBackend;
}

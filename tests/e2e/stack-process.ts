import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface StackProcess {
  readonly url: string;
  readonly key: string;
  readonly team: string;
  readonly child: ChildProcess;
  readonly output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `npm start`'s entry point as a separate process, exactly as a user would, on a free port and a
 * fresh data directory, and waits for the line that announces its URL.
 */
export async function startStackProcess(
  options: { team?: string; env?: Record<string, string> } = {},
): Promise<StackProcess> {
  const team = options.team ?? `e2e-${Date.now().toString(36)}`;
  const key = `sk-e2e-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
  const dataDir = await mkdtemp(join(tmpdir(), 'attune-e2e-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/main.ts'], {
    env: {
      ...process.env,
      ATTUNE_PORT: '0',
      ATTUNE_DATA_DIR: dataDir,
      ATTUNE_DEV_KEYS: `${team}:${key}`,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`stack did not start in time:\n${output}`)), 120_000);
    const check = () => {
      const match = /Attune is running at (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`stack exited with ${code}:\n${output}`));
    });
  });
  return {
    url,
    key,
    team,
    child,
    output: () => output,
    stop: async (signal = 'SIGTERM') => {
      const exited = new Promise<number | null>((resolve) => {
        if (child.exitCode !== null) resolve(child.exitCode);
        else child.once('exit', (code) => resolve(code));
      });
      child.kill(signal);
      const code = await exited;
      await rm(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}

/**
 * Reads every `intervalMs` until `done` holds and returns that value; past `timeoutMs` it throws with the
 * last value read, so a test that waited in vain says what it saw.
 */
export async function until<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
  intervalMs = 500,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, intervalMs));
    value = await read();
  }
  if (!done(value)) throw new Error(`timed out waiting; last value: ${JSON.stringify(value).slice(0, 500)}`);
  return value;
}

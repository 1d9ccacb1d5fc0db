import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StackProcess, startStackProcess } from '#tests/e2e/stack-process.ts';

/**
 * The README's quick start, run exactly as written: every code block fenced as `sh walkthrough` (in
 * order, as one bash session) and the `js walkthrough` block (as a Node script), against `npm start`.
 * If the README drifts from what Attune does, this fails.
 */

const REPO_ROOT = join(import.meta.dirname, '..', '..');

interface Walkthrough {
  readonly shell: string;
  readonly script: string;
}

async function readWalkthrough(): Promise<Walkthrough> {
  const readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```(sh|js) walkthrough\n([\s\S]*?)```/g)];
  const shell = blocks.filter((b) => b[1] === 'sh').map((b) => b[2] ?? '');
  const scripts = blocks.filter((b) => b[1] === 'js').map((b) => b[2] ?? '');
  if (shell.length < 5 || scripts.length !== 1) {
    throw new Error(`README has ${shell.length} sh and ${scripts.length} js walkthrough blocks`);
  }
  return { shell: shell.join('\n'), script: scripts[0] ?? '' };
}

function run(
  command: string,
  args: string[],
  options: { cwd: string; env: Record<string, string> },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the README quick start, run as written against npm start', () => {
  let stack: StackProcess;
  let walkthrough: Walkthrough;
  let workDir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    walkthrough = await readWalkthrough();
    stack = await startStackProcess();
    // Inside the repository, so the script's `import 'openai'` resolves as it does after `npm i openai`.
    workDir = await mkdtemp(join(REPO_ROOT, '.walkthrough-'));
    env = { OPENAI_BASE_URL: `${stack.url}/v1`, OPENAI_API_KEY: stack.key };
  }, 180_000);

  afterAll(async () => {
    if (workDir) await rm(workDir, { recursive: true, force: true });
    if (stack) await stack.stop();
  });

  it('Given the stack, when the curl walkthrough runs, then a processed file, an estimate, a succeeded prompt-tuning job and a completion from its pt: model come back', async () => {
    const result = await run('bash', ['-euo', 'pipefail', '-c', walkthrough.shell], { cwd: workDir, env });

    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toContain('"status": "processed"');
    expect(result.stdout).toContain('"examples": 24');
    expect(result.stdout).toMatch(/"recommended": "(prompt_tuning|supervised|hybrid)"/);
    expect(result.stdout).toMatch(/"model": "pt:attune-tiny:[^"]*:orders:/);
    expect(result.stdout).toMatch(/"virtual_tokens": 20/);
    expect(result.stdout).toContain('"answer": "Your order ships tomorrow."');
  }, 600_000);

  it('Given the stack, when the openai-client walkthrough runs, then it prints the recommendation and a completion from the tuned pt: model', async () => {
    const scriptPath = join(workDir, 'walkthrough.mjs');
    await writeFile(scriptPath, walkthrough.script);

    const result = await run(process.execPath, [scriptPath], { cwd: workDir, env });

    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toMatch(/^recommended: (prompt_tuning|supervised|hybrid) - /m);
    expect(result.stdout).toMatch(/^pt:attune-tiny:\S+ ".*" \{/m);
    expect(result.stdout).toContain('virtual_tokens: 20');
    expect(result.stdout).toMatch(/^pt:attune-tiny:\S+ "Your order ships tomorrow\." \{/m);
  }, 600_000);
});

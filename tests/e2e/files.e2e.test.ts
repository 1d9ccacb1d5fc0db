import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StackProcess, startStackProcess } from '#tests/e2e/stack-process.ts';

const DATASET = [
  {
    messages: [
      { role: 'user', content: 'Say hi' },
      { role: 'assistant', content: 'Hi!' },
    ],
  },
  {
    messages: [
      { role: 'system', content: 'Be terse.' },
      { role: 'user', content: '2+2?' },
      { role: 'assistant', content: '4' },
    ],
  },
]
  .map((line) => JSON.stringify(line))
  .join('\n');

describe('the embedded stack as a process, driven by the official openai client', () => {
  let stack: StackProcess;
  let client: OpenAI;

  beforeAll(async () => {
    stack = await startStackProcess();
    client = new OpenAI({ apiKey: stack.key, baseURL: `${stack.url}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    if (stack) expect(await stack.stop('SIGTERM')).toBe(0);
  });

  it('answers /healthz without a key', async () => {
    const response = await fetch(`${stack.url}/healthz`);
    expect(response.status).toBe(200);
  });

  it('given a chat dataset, when uploaded with files.create, then it is listed, retrievable and becomes processed', async () => {
    const created = await client.files.create({
      file: await toFile(Buffer.from(DATASET), 'train.jsonl'),
      purpose: 'fine-tune',
    });
    expect(created).toMatchObject({ object: 'file', filename: 'train.jsonl', purpose: 'fine-tune' });

    const listed = await client.files.list();
    expect(listed.data.map((f) => f.id)).toContain(created.id);

    let file = await client.files.retrieve(created.id);
    const deadline = Date.now() + 60_000;
    while (file.status === 'uploaded' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      file = await client.files.retrieve(created.id);
    }
    expect(file.status).toBe('processed');
    expect((file as unknown as { validation: { examples: number } }).validation.examples).toBe(2);
  });

  it('given a wrong key, when listing files, then the client sees a 401 AuthenticationError', async () => {
    const stranger = new OpenAI({ apiKey: 'sk-not-a-key', baseURL: `${stack.url}/v1`, maxRetries: 0 });
    await expect(stranger.files.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });
});

describe('start-up when the port is taken', () => {
  it('given a port already bound, when the stack starts on it, then it exits non-zero and names the port', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const address = blocker.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/main.ts'], {
      env: {
        ...process.env,
        ATTUNE_PORT: String(port),
        ATTUNE_DATA_DIR: join(tmpdir(), `attune-port-${port}`),
        ATTUNE_DEV_KEYS: 'x:key-key-key',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    blocker.close();
    expect(code).toBe(3);
    expect(stderr).toContain(`Port ${port} is already in use`);
  });
});

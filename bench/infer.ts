/**
 * Inference benchmark: `npx tsx bench/infer.ts [--requests 40] [--duration 15] [--connections 4]`.
 *
 * 1. Starts the embedded stack (`npm start`'s entry, as a user would) on a free port and a fresh data
 *    directory, uploads a small dataset and runs a prompt-tuning job of `attune-tiny` (20 virtual
 *    tokens) through the API, so a real `pt:` model is served.
 * 2. Latency with and without the attached prompt: the same requests (greedy, 16 tokens) to the base
 *    model and to the `pt:` model, interleaved so load drifts hit both alike; medians and the added %.
 *    The prompt's key/value prefix is cached, so the goal is at most 2% added.
 * 3. Generation speed: completion tokens per second of 64-token greedy completions.
 * 4. Cold start: a fresh process imports the inference Lambda's handler and answers its first request
 *    for the `pt:` model with an empty disk cache (module load, backend start, prompt download from S3,
 *    base model load, first forward) — `bench/infer-cold.ts`.
 * 5. p50/p99 under concurrent load on the local server (autocannon), base and `pt:`.
 * Prints a summary and writes bench/results/infer.json.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { stackEnvironment } from '#local/stack-state.ts';
import { startStackProcess } from '#tests/e2e/stack-process.ts';

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '40' },
    duration: { type: 'string', default: '15' },
    connections: { type: 'string', default: '4' },
  },
});
const REQUESTS = Number(args.requests);
const DURATION_S = Number(args.duration);
const CONNECTIONS = Number(args.connections);

/**
 * The tuned prompt's data. Its answer is longer than the 16 tokens the latency requests generate, so a
 * prompt that has learned it still generates all 16 (one that learned a short answer would stop early and
 * do less work than the base model, which is not the comparison this bench makes).
 */
const DATASET = Array.from({ length: 16 }, (_, i) =>
  JSON.stringify({
    messages: [
      { role: 'user', content: `Where is parcel number ${i + 1}?` },
      {
        role: 'assistant',
        content:
          'Your parcel left our warehouse this morning, and the courier will bring it to your door tomorrow before noon.',
      },
    ],
  }),
).join('\n');

/**
 * A prompt both models continue for all 16 tokens (attune-tiny loops on it rather than ending), so the
 * two sides do the same work; the bench checks that and reports the token counts.
 */
const PROMPT = 'The people of the United States, in order to form a more perfect union,';

function quantile(sorted: readonly number[], q: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

const median = (values: readonly number[]): number =>
  quantile(
    [...values].sort((a, b) => a - b),
    0.5,
  );

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'attune-bench-infer-'));
  const stack = await startStackProcess({ env: { ATTUNE_DATA_DIR: dataDir } });
  const api = async (path: string, init: RequestInit = {}): Promise<Record<string, unknown>> => {
    const response = await fetch(`${stack.url}/v1${path}`, {
      ...init,
      headers: { authorization: `Bearer ${stack.key}`, ...(init.headers ?? {}) },
    });
    const body = (await response.json()) as Record<string, unknown>;
    if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(body)}`);
    return body;
  };
  const until = async (path: string, done: (b: Record<string, unknown>) => boolean, ms: number) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const body = await api(path);
      if (done(body)) return body;
      if (Date.now() > deadline) throw new Error(`${path} did not finish: ${JSON.stringify(body)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  };
  try {
    const form = new FormData();
    form.set('purpose', 'fine-tune');
    form.set('file', new Blob([DATASET], { type: 'application/jsonl' }), 'parcels.jsonl');
    const file = await api('/files', { method: 'POST', body: form });
    await until(`/files/${file.id}`, (f) => f.status === 'processed', 60_000);
    const jobStart = performance.now();
    const job = await api('/fine_tuning/jobs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'attune-tiny',
        training_file: file.id,
        method: {
          type: 'prompt_tuning',
          prompt_tuning: { hyperparameters: { n_epochs: 20, num_virtual_tokens: 20 } },
        },
      }),
    });
    const finished = await until(
      `/fine_tuning/jobs/${job.id}`,
      (j) => ['succeeded', 'failed', 'cancelled'].includes(String(j.status)),
      15 * 60_000,
    );
    if (finished.status !== 'succeeded') throw new Error(`job ended ${JSON.stringify(finished)}`);
    const ptModel = String(finished.fine_tuned_model);
    const jobSeconds = (performance.now() - jobStart) / 1000;

    const complete = async (model: string, maxTokens: number) => {
      const start = performance.now();
      const body = await api('/completions', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model, prompt: PROMPT, max_tokens: maxTokens, temperature: 0 }),
      });
      const usage = body.usage as { completion_tokens: number };
      return { ms: performance.now() - start, tokens: usage.completion_tokens };
    };

    for (const model of ['attune-tiny', ptModel]) for (let i = 0; i < 3; i++) await complete(model, 16);
    const base: number[] = [];
    const tuned: number[] = [];
    const tokens = { base: new Set<number>(), prompt: new Set<number>() };
    for (let i = 0; i < REQUESTS; i++) {
      for (const side of i % 2 === 0 ? (['base', 'prompt'] as const) : (['prompt', 'base'] as const)) {
        const { ms, tokens: n } = await complete(side === 'base' ? 'attune-tiny' : ptModel, 16);
        (side === 'base' ? base : tuned).push(ms);
        tokens[side].add(n);
      }
    }
    const latency = {
      requests: REQUESTS,
      maxTokens: 16,
      completionTokens: { base: [...tokens.base], prompt: [...tokens.prompt] },
      baseMedianMs: median(base),
      promptMedianMs: median(tuned),
      addedPercent: ((median(tuned) - median(base)) / median(base)) * 100,
    };

    const speeds: number[] = [];
    for (let i = 0; i < 5; i++) {
      const { ms, tokens } = await complete('attune-tiny', 64);
      speeds.push(tokens / (ms / 1000));
    }
    const generation = { maxTokens: 64, medianTokensPerSecond: median(speeds) };

    const state = JSON.parse(await readFile(join(dataDir, 'stack.json'), 'utf8'));
    const cacheDir = await mkdtemp(join(tmpdir(), 'attune-bench-cold-'));
    const coldOutput = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'bench/infer-cold.ts'], {
        env: {
          ...process.env,
          ...stackEnvironment(state),
          BENCH_KEY: stack.key,
          BENCH_MODEL: ptModel,
          ATTUNE_ARTIFACT_CACHE_DIR: cacheDir,
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
      });
      child.once('exit', (code) =>
        code === 0 ? resolve(out) : reject(new Error(`cold run exited ${code}`)),
      );
    });
    await rm(cacheDir, { recursive: true, force: true });
    const coldStart = JSON.parse(coldOutput.trim().split('\n').at(-1) ?? '{}');

    const load: Record<string, unknown> = {};
    for (const model of ['attune-tiny', ptModel]) {
      const result = await autocannon({
        url: `${stack.url}/v1/completions`,
        method: 'POST',
        connections: CONNECTIONS,
        duration: DURATION_S,
        headers: { authorization: `Bearer ${stack.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model, prompt: PROMPT, max_tokens: 16, temperature: 0 }),
      });
      load[model === ptModel ? 'prompt' : 'base'] = {
        connections: CONNECTIONS,
        durationSeconds: DURATION_S,
        requests: result.requests.total,
        non2xx: result.non2xx,
        requestsPerSecond: result.requests.average,
        p50Ms: result.latency.p50,
        p99Ms: result.latency.p99,
      };
    }

    const report = {
      command: `npx tsx bench/infer.ts --requests ${REQUESTS} --duration ${DURATION_S} --connections ${CONNECTIONS}`,
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg() },
      backend: 'wasm (@tensorflow/tfjs-backend-wasm), in the embedded stack',
      model: 'attune-tiny',
      promptModel: ptModel,
      virtualTokens: 20,
      promptTuningJobSeconds: jobSeconds,
      latency,
      generation,
      coldStart,
      load,
    };
    console.log(JSON.stringify(report, null, 2));
    await writeFile('bench/results/infer.json', `${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await stack.stop();
  }
}

await main();

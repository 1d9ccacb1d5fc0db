import { access, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FormatError } from '#core/errors.ts';
import type { Gpt2Config } from '#core/gpt2-config.ts';
import { readSafetensors, readSafetensorsMetadata, writeSafetensors } from '#model/safetensors.ts';
import {
  type TrainingState,
  trainingStateFromSafetensors,
  trainingStateToSafetensors,
} from '#model/train-state.ts';

/**
 * What `attune pretrain` keeps in `<out>/checkpoint/` so an interrupted run continues exactly where it
 * stopped: the plan (every choice that fixes the data order and the learning-rate schedule), the token
 * stream (tokenising the corpus again costs a minute), the tokenizer, and the latest training state.
 * Files are written to a temporary name and renamed, so a kill mid-write leaves the previous one whole.
 */

export const CHECKPOINT_DIR = 'checkpoint';

/** Every choice of a run that a resumed process must repeat to see the same batches and rates. */
export interface PretrainPlan {
  readonly version: 1;
  readonly config: Gpt2Config;
  /** Random initialisation (with `seed`) or the weights of a model directory. */
  readonly init: { readonly from: 'random' } | { readonly from: 'model'; readonly dir: string };
  readonly data:
    | { readonly source: 'public-domain-corpus' }
    | { readonly source: 'text'; readonly file: string };
  readonly streamTokens: number;
  readonly windowLength: number;
  readonly batchSize: number;
  readonly learningRateMultiplier: number;
  readonly seed: number;
  readonly validationWindows: number;
  readonly trainWindows: number;
  readonly totalSteps: number;
  readonly validateEvery: number;
  readonly checkpointEvery: number;
  readonly budget:
    | { readonly tokens: number }
    | { readonly minutes: number; readonly tokensPerSecond: number };
}

/** Wall time already spent by earlier processes of the run, for the model card. */
export interface RunClock {
  readonly wallSeconds: number;
}

const PLAN = 'plan.json';
const TOKENS = 'tokens.bin';
const TOKENIZER = 'tokenizer.json';
const STATE = 'state.safetensors';
const CLOCK = 'clock.json';

async function writeAtomically(file: string, data: string | Uint8Array): Promise<void> {
  const temporary = `${file}.partial`;
  await writeFile(temporary, data);
  await rename(temporary, file);
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/** The checkpoint directory of a run writing to `outDir`. */
export function checkpointDir(outDir: string): string {
  return path.join(outDir, CHECKPOINT_DIR);
}

/** Whether `outDir` holds a run that can be resumed. */
export function hasCheckpoint(outDir: string): Promise<boolean> {
  return exists(path.join(checkpointDir(outDir), PLAN));
}

/** Starts a run's checkpoint: the plan, the token stream and the tokenizer. */
export async function writeRunStart(
  outDir: string,
  plan: PretrainPlan,
  stream: Int32Array,
  tokenizerJson: string,
): Promise<void> {
  const dir = checkpointDir(outDir);
  await mkdir(dir, { recursive: true });
  await writeAtomically(
    path.join(dir, TOKENS),
    new Uint8Array(stream.buffer, stream.byteOffset, stream.byteLength),
  );
  await writeAtomically(path.join(dir, TOKENIZER), tokenizerJson);
  await writeAtomically(path.join(dir, PLAN), `${JSON.stringify(plan, null, 2)}\n`);
}

/** Saves the latest training state and the wall time spent so far. */
export async function writeState(outDir: string, state: TrainingState, clock: RunClock): Promise<void> {
  const dir = checkpointDir(outDir);
  const { tensors, metadata } = trainingStateToSafetensors(state);
  await writeAtomically(path.join(dir, STATE), writeSafetensors(tensors, metadata));
  await writeAtomically(path.join(dir, CLOCK), `${JSON.stringify(clock)}\n`);
}

/** Everything a resumed process needs; `state` is absent when the run stopped before its first checkpoint. */
export interface SavedRun {
  readonly plan: PretrainPlan;
  readonly stream: Int32Array;
  readonly tokenizerJson: string;
  readonly state?: TrainingState;
  readonly clock: RunClock;
}

async function readPart(dir: string, file: string): Promise<Buffer> {
  try {
    return await readFile(path.join(dir, file));
  } catch (cause) {
    throw new FormatError(`checkpoint ${dir} has no readable ${file}`, { cause });
  }
}

/** Reads a run's checkpoint back; a FormatError says which part is missing or damaged. */
export async function readSavedRun(outDir: string): Promise<SavedRun> {
  const dir = checkpointDir(outDir);
  let plan: PretrainPlan;
  try {
    plan = JSON.parse((await readPart(dir, PLAN)).toString('utf8')) as PretrainPlan;
  } catch (cause) {
    if (cause instanceof FormatError) throw cause;
    throw new FormatError(`${path.join(dir, PLAN)} is not JSON`, { cause });
  }
  if (plan.version !== 1)
    throw new FormatError(`${path.join(dir, PLAN)} has unknown version ${plan.version}`);
  const bytes = await readPart(dir, TOKENS);
  const stream = new Int32Array(bytes.byteLength / 4);
  new Uint8Array(stream.buffer).set(bytes.subarray(0, stream.byteLength));
  if (stream.length !== plan.streamTokens) {
    throw new FormatError(
      `checkpoint token stream has ${stream.length} tokens, the plan says ${plan.streamTokens}`,
    );
  }
  const tokenizerJson = (await readPart(dir, TOKENIZER)).toString('utf8');
  if (!(await exists(path.join(dir, STATE))))
    return { plan, stream, tokenizerJson, clock: { wallSeconds: 0 } };
  const stateBytes = new Uint8Array(await readPart(dir, STATE));
  const state = trainingStateFromSafetensors(
    readSafetensors(stateBytes),
    readSafetensorsMetadata(stateBytes),
  );
  const clock = JSON.parse((await readPart(dir, CLOCK)).toString('utf8')) as RunClock;
  return { plan, stream, tokenizerJson, state, clock };
}

/** Removes the checkpoint once the run has written its model: nothing is left to resume. */
export async function removeCheckpoint(outDir: string): Promise<void> {
  await rm(checkpointDir(outDir), { recursive: true, force: true });
}

import * as tf from '@tensorflow/tfjs';
import { FormatError } from '#core/errors.ts';
import type { TrainingMethod } from '#core/hyperparameters.ts';
import type { AdamW, AdamWState } from '#model/optimizer.ts';
import type { SafeTensor } from '#model/safetensors.ts';

/**
 * Everything a run needs to continue exactly where it stopped (a spot reclaim, a SIGTERM): the trained
 * tensors, Adam's moments, the step, and the seed. The data order and the learning rate are pure
 * functions of (seed, step), so no generator state is needed beyond them. Held as plain typed arrays so
 * the trainer can write it as one safetensors file.
 */
export interface TrainingState {
  readonly method: TrainingMethod;
  readonly seed: number;
  /** Optimiser steps done. */
  readonly step: number;
  readonly totalSteps: number;
  readonly trainedTokens: number;
  /** The trained tensors only: the soft prompt for prompt tuning, every weight for full fine-tuning. */
  readonly params: ReadonlyMap<string, { readonly shape: readonly number[]; readonly data: Float32Array }>;
  readonly optimizer: AdamWState;
}

/** The live objects a state is taken from and restored into. */
export interface TrainingRun {
  readonly method: TrainingMethod;
  readonly seed: number;
  readonly step: number;
  readonly totalSteps: number;
  readonly trainedTokens: number;
  readonly params: ReadonlyMap<string, tf.Variable>;
  readonly optimizer: AdamW;
}

/** Copies the run's trained tensors and optimiser moments out of the backend. */
export function snapshotTrainingState(run: TrainingRun): TrainingState {
  const params = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, v] of run.params)
    params.set(name, { shape: [...v.shape], data: v.dataSync() as Float32Array });
  return {
    method: run.method,
    seed: run.seed,
    step: run.step,
    totalSteps: run.totalSteps,
    trainedTokens: run.trainedTokens,
    params,
    optimizer: run.optimizer.snapshot(),
  };
}

/**
 * Writes a state's tensors and moments into a run set up the same way. Rejects a state from another
 * method, seed, run length or set of tensors: resuming it would silently train something else.
 */
export function restoreTrainingState(state: TrainingState, run: TrainingRun): void {
  const mismatch = (what: string, saved: unknown, now: unknown) =>
    new FormatError(`checkpoint was taken with ${what} ${saved}, this run has ${now}`);
  if (state.method !== run.method) throw mismatch('method', state.method, run.method);
  if (state.seed !== run.seed) throw mismatch('seed', state.seed, run.seed);
  if (state.totalSteps !== run.totalSteps) throw mismatch('totalSteps', state.totalSteps, run.totalSteps);
  if (state.step > state.totalSteps) throw mismatch('step', state.step, `at most ${state.totalSteps} steps`);
  if (state.params.size !== run.params.size)
    throw mismatch('tensor count', state.params.size, run.params.size);
  for (const [name, v] of run.params) {
    const saved = state.params.get(name);
    if (!saved) throw new FormatError(`checkpoint lacks trained tensor "${name}"`);
    if (saved.shape.join(',') !== v.shape.join(',')) {
      throw mismatch(`"${name}" of shape`, `[${saved.shape}]`, `[${v.shape}]`);
    }
  }
  try {
    run.optimizer.restore(state.optimizer);
  } catch (error) {
    throw new FormatError(`checkpoint optimizer state does not fit this run: ${(error as Error).message}`, {
      cause: error,
    });
  }
  for (const [name, v] of run.params) {
    const saved = state.params.get(name) as { shape: readonly number[]; data: Float32Array };
    tf.tidy(() => v.assign(tf.tensor(saved.data, v.shape, 'float32')));
  }
}

const METADATA_KEY = 'attune_training_state';
const PARAM = 'param/';
const MOMENT_M = 'adam_m/';
const MOMENT_V = 'adam_v/';

/** The state as safetensors tensors (`param/…`, `adam_m/…`, `adam_v/…`) plus JSON metadata. */
export function trainingStateToSafetensors(state: TrainingState): {
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string>;
} {
  const tensors = new Map<string, SafeTensor>();
  for (const [name, p] of state.params) {
    tensors.set(PARAM + name, { dtype: 'F32', shape: [...p.shape], data: p.data });
    const moments = state.optimizer.moments.get(name);
    if (!moments) throw new FormatError(`training state has no optimizer moments for "${name}"`);
    tensors.set(MOMENT_M + name, { dtype: 'F32', shape: [...p.shape], data: moments.m });
    tensors.set(MOMENT_V + name, { dtype: 'F32', shape: [...p.shape], data: moments.v });
  }
  const header = {
    method: state.method,
    seed: state.seed,
    step: state.step,
    totalSteps: state.totalSteps,
    trainedTokens: state.trainedTokens,
    optimizerStep: state.optimizer.step,
  };
  return { tensors, metadata: { [METADATA_KEY]: JSON.stringify(header) } };
}

function f32(name: string, tensors: ReadonlyMap<string, SafeTensor>): SafeTensor & { data: Float32Array } {
  const t = tensors.get(name);
  if (!t) throw new FormatError(`training checkpoint lacks "${name}"`);
  if (t.dtype !== 'F32') throw new FormatError(`training checkpoint tensor "${name}" is ${t.dtype}, not F32`);
  return t as SafeTensor & { data: Float32Array };
}

/** Reads back what {@link trainingStateToSafetensors} wrote; a FormatError says what is missing. */
export function trainingStateFromSafetensors(
  tensors: ReadonlyMap<string, SafeTensor>,
  metadata: Readonly<Record<string, string>>,
): TrainingState {
  const raw = metadata[METADATA_KEY];
  if (raw === undefined) throw new FormatError(`training checkpoint has no "${METADATA_KEY}" metadata`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(raw) as Record<string, unknown>;
  } catch (error) {
    throw new FormatError('training checkpoint metadata is not JSON', { cause: error });
  }
  const int = (key: string) => {
    const value = header[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new FormatError(`training checkpoint metadata "${key}" is not a non-negative integer`);
    }
    return value;
  };
  const method = header.method;
  if (method !== 'supervised' && method !== 'prompt_tuning' && method !== 'pretrain') {
    throw new FormatError(`training checkpoint metadata has unknown method ${String(method)}`);
  }
  const params = new Map<string, { shape: number[]; data: Float32Array }>();
  const moments = new Map<string, { m: Float32Array; v: Float32Array }>();
  for (const key of tensors.keys()) {
    if (!key.startsWith(PARAM)) continue;
    const name = key.slice(PARAM.length);
    const p = f32(key, tensors);
    params.set(name, { shape: p.shape, data: p.data });
    moments.set(name, { m: f32(MOMENT_M + name, tensors).data, v: f32(MOMENT_V + name, tensors).data });
  }
  return {
    method,
    seed: int('seed'),
    step: int('step'),
    totalSteps: int('totalSteps'),
    trainedTokens: int('trainedTokens'),
    params,
    optimizer: { step: int('optimizerStep'), moments },
  };
}

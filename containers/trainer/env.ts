import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConfigError } from '#core/errors.ts';

/**
 * The trainer's own environment contract, beside the table/bucket/endpoint settings that
 * functions/aws/config.ts reads. AWS Batch (and the embedded stack's local runner) set ATTUNE_JOB_ID and
 * ATTUNE_TEAM; everything else about the job comes from its record. Validated once at start-up, so a
 * broken job definition fails before any download.
 */

/** The repository root of this checkout or image: where the built-in base models' directories are. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const TrainerEnvSchema = z.object({
  ATTUNE_JOB_ID: z.string().regex(/^ftjob-[A-Za-z0-9_-]+$/, 'must be a fine-tuning job id (ftjob-…)'),
  ATTUNE_TEAM: z.string().min(1),
  /** Batch's attempt number (1 on the first run); logged so a resumed run says which retry it is. */
  AWS_BATCH_JOB_ATTEMPT: z.coerce.number().int().positive().default(1),
  /** Upload a checkpoint every this many optimiser steps (and always on SIGTERM). */
  ATTUNE_CHECKPOINT_EVERY: z.coerce.number().int().positive().default(100),
  /** At most one metrics event per this many milliseconds (the last step is always reported). */
  ATTUNE_METRICS_INTERVAL_MS: z.coerce.number().int().min(0).default(5000),
  /**
   * The directory the built-in base models' paths (`models/attune-tiny`) are resolved against; the
   * repository root by default. Tests point it at a temporary directory holding a tiny model.
   */
  ATTUNE_BASE_MODELS_ROOT: z.string().min(1).default(REPO_ROOT),
  /** Where the job's inputs and outputs are staged on local disk; the OS temp dir by default. */
  ATTUNE_WORK_DIR: z.string().min(1).optional(),
});

export interface TrainerEnv {
  readonly jobId: string;
  readonly team: string;
  readonly attempt: number;
  readonly checkpointEvery: number;
  readonly metricsIntervalMs: number;
  readonly baseModelsRoot: string;
  readonly workDir: string | undefined;
}

/** Parses the trainer's variables; a ConfigError names every one that is missing or wrong. */
export function parseTrainerEnv(env: NodeJS.ProcessEnv): TrainerEnv {
  const parsed = TrainerEnvSchema.safeParse(env);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`Invalid trainer environment: ${detail}`, { cause: parsed.error });
  }
  const e = parsed.data;
  return {
    jobId: e.ATTUNE_JOB_ID,
    team: e.ATTUNE_TEAM,
    attempt: e.AWS_BATCH_JOB_ATTEMPT,
    checkpointEvery: e.ATTUNE_CHECKPOINT_EVERY,
    metricsIntervalMs: e.ATTUNE_METRICS_INTERVAL_MS,
    baseModelsRoot: e.ATTUNE_BASE_MODELS_ROOT,
    workDir: e.ATTUNE_WORK_DIR,
  };
}

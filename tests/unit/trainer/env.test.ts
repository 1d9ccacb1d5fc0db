import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '#core/errors.ts';
import { parseTrainerEnv, REPO_ROOT } from '#trainer/env.ts';

const BASE = { ATTUNE_JOB_ID: 'ftjob-abc123', ATTUNE_TEAM: 'team-a' };

describe('parseTrainerEnv', () => {
  it('Given only the job id and team, when parsed, then the defaults apply', () => {
    expect(parseTrainerEnv(BASE)).toEqual({
      jobId: 'ftjob-abc123',
      team: 'team-a',
      attempt: 1,
      checkpointEvery: 100,
      metricsIntervalMs: 5000,
      baseModelsRoot: REPO_ROOT,
      workDir: undefined,
    });
  });

  it('Given every variable, when parsed, then numbers are coerced and paths kept', () => {
    const env = parseTrainerEnv({
      ...BASE,
      AWS_BATCH_JOB_ATTEMPT: '3',
      ATTUNE_CHECKPOINT_EVERY: '25',
      ATTUNE_METRICS_INTERVAL_MS: '0',
      ATTUNE_BASE_MODELS_ROOT: '/opt/models',
      ATTUNE_WORK_DIR: '/scratch',
    });
    expect(env).toMatchObject({
      attempt: 3,
      checkpointEvery: 25,
      metricsIntervalMs: 0,
      baseModelsRoot: '/opt/models',
      workDir: '/scratch',
    });
  });

  it('Given no job id, when parsed, then a ConfigError names the variable', () => {
    expect(() => parseTrainerEnv({ ATTUNE_TEAM: 'team-a' })).toThrow(ConfigError);
    expect(() => parseTrainerEnv({ ATTUNE_TEAM: 'team-a' })).toThrow(/ATTUNE_JOB_ID/);
  });

  it('Given a job id that is not a fine-tuning job id, when parsed, then it is rejected', () => {
    expect(() => parseTrainerEnv({ ...BASE, ATTUNE_JOB_ID: 'file-abc' })).toThrow(/ftjob-/);
  });

  it('Given a zero checkpoint interval, when parsed, then it is rejected', () => {
    expect(() => parseTrainerEnv({ ...BASE, ATTUNE_CHECKPOINT_EVERY: '0' })).toThrow(
      /ATTUNE_CHECKPOINT_EVERY/,
    );
  });

  it('Given the module location, when the repository root is derived, then it holds the built-in models', () => {
    expect(existsSync(path.join(REPO_ROOT, 'models', 'attune-tiny', 'config.json'))).toBe(true);
    expect(REPO_ROOT).toBe(path.resolve(import.meta.dirname, '..', '..', '..'));
  });
});

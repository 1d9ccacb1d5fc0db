import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '#core/errors.ts';
import { parseInferenceEnv } from '#inference/deps-from-env.ts';

const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..', '..');

describe('parseInferenceEnv', () => {
  it('given nothing set, then the repository root, a temp-dir cache and 512 MiB are the defaults', () => {
    expect(parseInferenceEnv({})).toEqual({
      baseModelsRoot: `${REPO_ROOT}${path.sep}`,
      artifactCacheDir: path.join(tmpdir(), 'attune-artifacts'),
      artifactCacheBytes: 512 * 1024 * 1024,
    });
  });

  it('given every variable, then each is read', () => {
    expect(
      parseInferenceEnv({
        ATTUNE_BASE_MODELS_ROOT: '/var/task',
        ATTUNE_ARTIFACT_CACHE_DIR: '/tmp/artifacts',
        ATTUNE_ARTIFACT_CACHE_BYTES: '1048576',
      }),
    ).toEqual({
      baseModelsRoot: '/var/task',
      artifactCacheDir: '/tmp/artifacts',
      artifactCacheBytes: 1_048_576,
    });
  });

  it.each(['0', '-5', 'lots', '1.5'])(
    'given ATTUNE_ARTIFACT_CACHE_BYTES=%s, then it is a ConfigError naming it',
    (value) => {
      expect(() => parseInferenceEnv({ ATTUNE_ARTIFACT_CACHE_BYTES: value })).toThrow(ConfigError);
      expect(() => parseInferenceEnv({ ATTUNE_ARTIFACT_CACHE_BYTES: value })).toThrow(
        /ATTUNE_ARTIFACT_CACHE_BYTES/,
      );
    },
  );
});

import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '#core/errors.ts';
import { defaultDevKey, parseDevKeys } from '#local/dev-keys.ts';

describe('ATTUNE_DEV_KEYS', () => {
  it('given two entries, when parsed, then each team gets its key', () => {
    expect(parseDevKeys('alpha:key-alpha-1, beta:key-beta-22')).toEqual([
      { team: 'alpha', key: 'key-alpha-1' },
      { team: 'beta', key: 'key-beta-22' },
    ]);
  });

  it('given an entry without a colon, when parsed, then a ConfigError names its position', () => {
    expect(() => parseDevKeys('alpha:key-alpha-1,broken')).toThrow(/entry 2/);
    expect(() => parseDevKeys('broken')).toThrow(ConfigError);
  });

  it('given a team with capitals or slashes, when parsed, then it is refused', () => {
    expect(() => parseDevKeys('Team/../x:key-key-key')).toThrow(ConfigError);
  });
});

describe('default dev key', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('given an empty data directory, when asked twice, then the same key comes back and its file is private', async () => {
    dir = await mkdtemp(join(tmpdir(), 'attune-keys-'));
    const first = await defaultDevKey(dir);
    const second = await defaultDevKey(dir);
    expect(first.team).toBe('default');
    expect(second.key).toBe(first.key);
    expect((await stat(join(dir, 'default-team.key'))).mode & 0o777).toBe(0o600);
  });
});

import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateApiKey, isValidTeamName } from '#core/api-keys.ts';
import { ConfigError } from '#core/errors.ts';

export interface DevKey {
  readonly team: string;
  readonly key: string;
}

/** Parses `ATTUNE_DEV_KEYS` (`team:key,team2:key2`); a malformed entry stops start-up with its position. */
export function parseDevKeys(value: string): DevKey[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .map((entry, index) => {
      const colon = entry.indexOf(':');
      const team = entry.slice(0, colon);
      const key = entry.slice(colon + 1);
      if (colon <= 0 || key.length < 8 || !isValidTeamName(team)) {
        throw new ConfigError(
          `ATTUNE_DEV_KEYS entry ${index + 1} must be team:key with a team of a-z, 0-9 and '-' and a key of at least 8 characters`,
        );
      }
      return { team, key };
    });
}

const DEFAULT_KEY_FILE = 'default-team.key';

/**
 * The key of team `default` when no dev keys are configured: made once and kept (mode 0600) in the data
 * directory, since the table stores only its hash and the user needs the same key after a restart.
 */
export async function defaultDevKey(dataDir: string): Promise<DevKey> {
  const path = join(dataDir, DEFAULT_KEY_FILE);
  try {
    return { team: 'default', key: (await readFile(path, 'utf8')).trim() };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = generateApiKey();
  await writeFile(path, `${key}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
  return { team: 'default', key };
}

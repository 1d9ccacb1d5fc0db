import { parseArgs } from 'node:util';
import { generateApiKey, isValidTeamName } from '#core/api-keys.ts';
import { readStackState, stackEnvironment } from '#local/stack-state.ts';

const USAGE = 'Usage: attune keys create --team <team> [--data-dir .attune]';

/**
 * `attune keys create --team T`: makes a key, stores its hash, prints the key once. It writes to the table
 * the environment names (TABLE_NAME, ATTUNE_DYNAMODB_ENDPOINT: a deployment) or, when unset, to the
 * embedded stack running from the data directory.
 */
export async function runKeysCommand(args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      team: { type: 'string' },
      'data-dir': { type: 'string', default: process.env.ATTUNE_DATA_DIR ?? '.attune' },
    },
  });
  if (positionals[0] !== 'create' || !values.team) {
    console.error(USAGE);
    return 2;
  }
  if (!isValidTeamName(values.team)) {
    console.error(
      `Invalid team '${values.team}': use 1-63 characters of a-z, 0-9 and '-', starting with a letter or digit.`,
    );
    return 2;
  }
  if (!process.env.TABLE_NAME) {
    const state = await readStackState(values['data-dir']);
    if (!state) {
      console.error(
        `No running embedded stack in ${values['data-dir']} and no TABLE_NAME set. Start one with 'npm start' or set TABLE_NAME.`,
      );
      return 2;
    }
    Object.assign(process.env, stackEnvironment(state));
  }
  const { getConfig } = await import('#aws/config.ts');
  const { getClients } = await import('#aws/clients.ts');
  const { ApiKeyRepository } = await import('#aws/api-key-repository.ts');
  const config = getConfig();
  const key = generateApiKey();
  await new ApiKeyRepository(getClients(config).dynamo, config.tableName).register(values.team, key);
  console.log(key);
  return 0;
}

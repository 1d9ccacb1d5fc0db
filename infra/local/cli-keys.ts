import { parseArgs } from 'node:util';
import { createClients } from '#aws/clients.ts';
import { parseConfig } from '#aws/config.ts';
import { createStores } from '#aws/stores.ts';
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
  let env: NodeJS.ProcessEnv = process.env;
  if (!env.TABLE_NAME) {
    const state = await readStackState(values['data-dir']);
    if (!state) {
      console.error(
        `No running embedded stack in ${values['data-dir']} and no TABLE_NAME set. Start one with 'npm start' or set TABLE_NAME.`,
      );
      return 2;
    }
    env = { ...env, ...stackEnvironment(state) };
  }
  const config = parseConfig(env);
  const key = generateApiKey();
  await createStores(config, createClients(config)).keys.register(values.team, key);
  console.log(key);
  return 0;
}

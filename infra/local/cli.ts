import { GENERATE_USAGE, runGenerateCommand } from '#local/cli-generate.ts';
import { runKeysCommand } from '#local/cli-keys.ts';
import { PRETRAIN_USAGE, runPretrainCommand } from '#local/cli-pretrain.ts';
import { runTrainCommand, TRAIN_USAGE } from '#local/cli-train.ts';

/**
 * The `attune` command line. Each sub-command lives in its own module; this file only dispatches, so the
 * training and generation commands can be added without touching the others.
 */
const commands: Record<string, { summary: string; run: (args: string[]) => Promise<number> }> = {
  keys: { summary: 'keys create --team T   create an API key for a team and print it', run: runKeysCommand },
  generate: { summary: GENERATE_USAGE, run: runGenerateCommand },
  train: { summary: TRAIN_USAGE, run: runTrainCommand },
  pretrain: { summary: PRETRAIN_USAGE, run: runPretrainCommand },
};

function usage(): string {
  const lines = Object.entries(commands).map(([, c]) => `  attune ${c.summary}`);
  return ['Usage:', ...lines].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    console.error(`Unknown command '${name}'.\n${usage()}`);
    return 2;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);

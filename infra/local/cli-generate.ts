import {
  numberFlag,
  optionalString,
  parseFlags,
  requiredString,
  UsageError,
  withUsageErrors,
} from '#local/cli-args.ts';
import { initBackend } from '#model/backend.ts';
import { generate } from '#model/generate.ts';
import { disposeGpt2Weights } from '#model/gpt2.ts';
import { loadModelDir } from '#model/model-dir.ts';
import { loadPeftPrompt } from '#model/soft-prompt.ts';
import { loadTokenizer } from '#model/tokenizer.ts';

/**
 * `attune generate`: continues a prompt with a model directory on this machine, optionally behind a
 * tuned prompt (`--adapter`, a PEFT prompt-tuning directory) — the quickest way to see what a base model,
 * a fine-tuned model or a tuned prompt does, without the API. Prints the continuation only, on stdout.
 */

export const GENERATE_USAGE =
  'generate --model DIR --prompt TEXT [--max-tokens N] [--temperature T] [--top-p P] [--seed N] ' +
  '[--stop TEXT ...] [--adapter DIR]';

const FLAGS = {
  model: { type: 'string' as const },
  prompt: { type: 'string' as const },
  'max-tokens': { type: 'string' as const },
  temperature: { type: 'string' as const },
  'top-p': { type: 'string' as const },
  seed: { type: 'string' as const },
  stop: { type: 'string' as const, multiple: true },
  adapter: { type: 'string' as const },
};

/** Runs the command; returns the exit status (2 for bad arguments or unreadable inputs). */
export function runGenerateCommand(args: string[]): Promise<number> {
  return withUsageErrors('generate', GENERATE_USAGE, async () => {
    const values = parseFlags(args, FLAGS);
    const modelDir = requiredString(values, 'model');
    if (typeof values.prompt !== 'string') throw new UsageError('--prompt is required');
    const maxTokens = numberFlag(values, 'max-tokens', { integer: true, min: 1 }) ?? 32;
    const temperature = numberFlag(values, 'temperature', { min: 0 }) ?? 1;
    const topP = numberFlag(values, 'top-p', { min: Number.MIN_VALUE, max: 1 });
    const seed = numberFlag(values, 'seed', { integer: true, min: 0 });
    const stop = (values.stop as string[] | undefined) ?? [];
    const adapterDir = optionalString(values, 'adapter');
    await initBackend({ log: () => {} });
    const model = await loadModelDir(modelDir);
    try {
      const tokenizer = loadTokenizer(model.tokenizerJson);
      const adapter = adapterDir ? await loadPeftPrompt(adapterDir) : undefined;
      try {
        if (adapter && adapter.config.tokenDim !== model.config.n_embd) {
          throw new UsageError(
            `--adapter ${adapterDir} was tuned for token_dim ${adapter.config.tokenDim}; the model's n_embd is ${model.config.n_embd}`,
          );
        }
        // A user's text stays text: a typed `<|endoftext|>` must not end the prompt. An empty prompt
        // starts from end-of-text, as GPT-2 does for unconditional generation.
        const ids = values.prompt === '' ? [tokenizer.eosTokenId] : tokenizer.encodeOrdinary(values.prompt);
        const result = generate(model.config, model.weights, ids, {
          maxTokens,
          temperature,
          ...(topP === undefined ? {} : { topP }),
          ...(seed === undefined ? {} : { seed }),
          stop,
          decode: (tokens) => tokenizer.decode(tokens),
          eosTokenId: tokenizer.eosTokenId,
          ...(adapter ? { prompt: adapter.prompt } : {}),
        });
        process.stdout.write(`${result.text ?? ''}\n`);
        return 0;
      } finally {
        adapter?.prompt.dispose();
      }
    } finally {
      disposeGpt2Weights(model.weights);
    }
  });
}

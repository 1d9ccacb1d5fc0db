import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ValidationError } from '#core/errors.ts';
import { loadPublicDomainCorpus } from '#local/pretrain-corpus.ts';
import { trainByteLevelBpe } from '#model/bpe-train.ts';
import { toTokenizerJson } from '#model/tokenizer.ts';

/**
 * The command line that built the built-in tokenizer:
 * `npx tsx infra/local/bpe-train-cli.ts --vocab 4096 --out models/attune-tiny/tokenizer.json` trains on the
 * public-domain corpus and writes the tokenizer.json; returns the summary it prints. It lives here, not
 * beside the BPE trainer in the model layer, because the corpus comes from development-only packages.
 */
export function runBpeTrainCli(args: readonly string[], log: (line: string) => void = console.log): string {
  const { values } = parseArgs({
    args: [...args],
    options: { vocab: { type: 'string', default: '4096' }, out: { type: 'string' } },
  });
  if (!values.out) throw new ValidationError('--out <tokenizer.json> is required', { param: 'out' });
  const vocabSize = Number(values.vocab);
  const started = performance.now();
  const documents = loadPublicDomainCorpus();
  const bpe = trainByteLevelBpe(
    documents.map((d) => d.text),
    { vocabSize },
  );
  writeFileSync(values.out, toTokenizerJson(bpe));
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const characters = documents.reduce((n, d) => n + d.text.length, 0);
  const summary =
    `${documents.length} documents, ${characters} characters → ${bpe.vocab.size} tokens ` +
    `(${bpe.merges.length} merges) in ${seconds} s → ${values.out}`;
  log(summary);
  return summary;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runBpeTrainCli(process.argv.slice(2));
}

/**
 * How ingestion counts an example's tokens: with the default base model's tokenizer, through Attune's chat
 * template, as the trainer encodes it (each template segment as ordinary text, plus one id per
 * `<|endoftext|>`), so the counts a team sees are the counts its training run and cost estimate use.
 * Counts are before truncation to the model's context: the statistics show how much would be cut.
 *
 * The JSON is imported, not read from disk, so esbuild bundles it into the Lambda and no file has to
 * travel beside the handler. When the default model changes, change this import and
 * `DATASET_TOKENIZER_NAME` together.
 */
import { byteLevelBpeIds, createBpePieceCounter } from '#core/dataset/bpe-count.ts';
import type { TrainingExample } from '#core/dataset/example.ts';
import { createTokenCounter } from '#core/dataset/token-counter.ts';
import { exampleSegments } from '#model/chat-template.ts';
import { bytesToUnicode, END_OF_TEXT, loadTokenizer } from '#model/tokenizer.ts';
import builtInTokenizerJson from '../../models/attune-tiny/tokenizer.json' with { type: 'json' };

/** Recorded in every report's `tokenizer` field: the model whose tokenizer counted. */
export const DATASET_TOKENIZER_NAME = 'attune-tiny';

export interface DatasetTokenizer {
  readonly name: string;
  /** Token count of one text, as `encodeOrdinary` would encode it. */
  count(text: string): number;
  /** Token count of one example as the trainer sees it: the chat template's segments, encoded. */
  countExample(example: TrainingExample): number;
}

/** Loads the tokenizer (once per process: it parses the whole vocabulary) behind a cached counter. */
export function loadDatasetTokenizer(): DatasetTokenizer {
  // loadTokenizer validates the file (every merge joins known tokens) before the ids are read from it.
  const tokenizer = loadTokenizer(JSON.stringify(builtInTokenizerJson));
  const countPiece = createBpePieceCounter(byteLevelBpeIds(builtInTokenizerJson, bytesToUnicode()));
  // A text that contains `<|endoftext|>` is encoded whole by encodeOrdinary, which spells it as text.
  const { count } = createTokenCounter({ encode: tokenizer.encodeOrdinary }, [END_OF_TEXT], countPiece);
  const countExample = (example: TrainingExample): number => {
    let tokens = 0;
    for (const segment of exampleSegments(example))
      tokens += segment.kind === 'text' ? count(segment.text) : 1;
    return tokens;
  };
  return { name: DATASET_TOKENIZER_NAME, count, countExample };
}

/**
 * The tokenizer ingestion counts tokens with: the default base model's, so the counts a team sees are the
 * counts its training run and cost estimate will use. The JSON is imported, not read from disk, so
 * esbuild bundles it into the Lambda and no file has to travel beside the handler. When the default
 * model changes, change this import and `DATASET_TOKENIZER_NAME` together.
 */
import { byteLevelBpeIds, createBpePieceCounter } from '#core/dataset/bpe-count.ts';
import { createTokenCounter } from '#core/dataset/token-counter.ts';
import { bytesToUnicode, END_OF_TEXT, loadTokenizer } from '#model/tokenizer.ts';
import builtInTokenizerJson from '../../models/attune-tiny/tokenizer.json' with { type: 'json' };

/** Recorded in every report's `tokenizer` field: the model whose tokenizer counted. */
export const DATASET_TOKENIZER_NAME = 'attune-tiny';

export interface DatasetTokenizer {
  readonly name: string;
  /** Token count of one text, as the model's tokenizer would encode it. */
  count(text: string): number;
}

/** Loads the tokenizer (once per process: it parses the whole vocabulary) behind a cached counter. */
export function loadDatasetTokenizer(): DatasetTokenizer {
  // loadTokenizer validates the file (every merge joins known tokens) before the ids are read from it.
  const tokenizer = loadTokenizer(JSON.stringify(builtInTokenizerJson));
  const countPiece = createBpePieceCounter(byteLevelBpeIds(builtInTokenizerJson, bytesToUnicode()));
  const counter = createTokenCounter(tokenizer, [END_OF_TEXT], countPiece);
  return { name: DATASET_TOKENIZER_NAME, count: counter.count };
}

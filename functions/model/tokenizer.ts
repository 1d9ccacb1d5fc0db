import { Tokenizer } from '@huggingface/tokenizers';
import { z } from 'zod';
import { FormatError } from '#core/errors.ts';
import { ModelInputError } from '#model/errors.ts';

/** GPT-2's end-of-text marker: separates documents in pre-training and ends every trained answer. */
export const END_OF_TEXT = '<|endoftext|>';

/**
 * The tokenizer every part of Attune codes against: the trainer, inference and dataset ingestion
 * (token counts for estimates) all see the same ids, whatever library sits underneath.
 */
export interface AttuneTokenizer {
  /**
   * Text → ids. Special tokens written literally in the text (`<|endoftext|>`) become their ids,
   * as Hugging Face tokenizers do; callers that need a guaranteed end of text append `eosTokenId`.
   */
  encode(text: string): number[];
  /**
   * Text → ids with special tokens spelled out as ordinary text: `<|endoftext|>` typed by a user stays
   * text and cannot end a document or an answer early. Use it for untrusted content (datasets, prompts).
   */
  encodeOrdinary(text: string): number[];
  /** Ids → text, losslessly for byte-level BPE (no clean-up of spaces before punctuation). */
  decode(ids: readonly number[]): string;
  /** The id of `<|endoftext|>`: end of an answer, document separator, padding id. */
  readonly eosTokenId: number;
  /** Number of ids (largest id + 1): the row count the embedding matrix needs. */
  readonly vocabSize: number;
  /** The id of a vocabulary entry, or `undefined` when the tokenizer has no such token. */
  tokenToId(token: string): number | undefined;
}

const addedTokenSchema = z.looseObject({
  id: z.number().int().nonnegative(),
  content: z.string().min(1),
  special: z.boolean().optional(),
  lstrip: z.boolean().optional(),
  rstrip: z.boolean().optional(),
});

const tokenizerJsonSchema = z.looseObject({
  added_tokens: z.array(addedTokenSchema).default([]),
  normalizer: z.unknown(),
  pre_tokenizer: z.unknown(),
  model: z.looseObject({
    type: z.literal('BPE'),
    vocab: z.record(z.string(), z.number().int().nonnegative()),
    merges: z.array(z.union([z.string(), z.tuple([z.string(), z.string()])])),
  }),
});

type TokenizerJson = z.infer<typeof tokenizerJsonSchema>;

function parseTokenizerJson(tokenizerJson: string): TokenizerJson {
  let raw: unknown;
  try {
    raw = JSON.parse(tokenizerJson);
  } catch (cause) {
    throw new FormatError('tokenizer.json is not valid JSON', { cause });
  }
  const parsed = tokenizerJsonSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') || '(root)';
    throw new FormatError(
      `tokenizer.json is not a byte-level BPE tokenizer: ${where}: ${issue?.message ?? 'invalid'}`,
      { cause: parsed.error },
    );
  }
  return parsed.data;
}

/** Every id is used once, and every merge joins two known tokens into a known token. */
function checkVocabulary(json: TokenizerJson): Map<number, string> {
  const byId = new Map<number, string>();
  const claim = (id: number, token: string): void => {
    const previous = byId.get(id);
    if (previous !== undefined && previous !== token) {
      throw new FormatError(
        `tokenizer.json gives id ${id} to both ${JSON.stringify(previous)} and ${JSON.stringify(token)}`,
      );
    }
    byId.set(id, token);
  };
  for (const [token, id] of Object.entries(json.model.vocab)) claim(id, token);
  for (const added of json.added_tokens) claim(added.id, added.content);
  const vocab = json.model.vocab;
  json.model.merges.forEach((merge, rank) => {
    const [left, right] = typeof merge === 'string' ? merge.split(' ') : merge;
    if (
      left === undefined ||
      right === undefined ||
      !(left in vocab) ||
      !(right in vocab) ||
      !(left + right in vocab)
    ) {
      throw new FormatError(
        `tokenizer.json merge ${rank} (${JSON.stringify(merge)}) uses a token outside the vocabulary`,
      );
    }
  });
  return byId;
}

function findEndOfText(json: TokenizerJson): number {
  const id = json.added_tokens.find((t) => t.content === END_OF_TEXT)?.id ?? json.model.vocab[END_OF_TEXT];
  if (id === undefined) {
    throw new FormatError(`tokenizer.json has no ${END_OF_TEXT} token, which GPT-2 models use to end a text`);
  }
  return id;
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Encodes around every special token, and each special token piece by piece (its GPT-2 pre-tokens, none
 * of which is special), so the ids spell its characters instead of naming it.
 */
function ordinaryEncoder(
  json: TokenizerJson,
  encode: (text: string) => number[],
): (text: string) => number[] {
  const specials = json.added_tokens
    .filter((t) => t.special === true)
    .map((t) => t.content)
    .sort((a, b) => b.length - a.length);
  if (specials.length === 0) return encode;
  const spelled = new Map(
    specials.map((s) => [s, [...s.matchAll(GPT2_SPLIT_REGEX)].flatMap(([piece]) => encode(piece))]),
  );
  const splitter = new RegExp(`(${specials.map(escapeRegExp).join('|')})`, 'u');
  return (text) =>
    text.split(splitter).flatMap((part, i) => (i % 2 === 1 ? (spelled.get(part) ?? []) : encode(part)));
}

/** Distinct pieces remembered per tokenizer before the cache is emptied, and the longest one kept. */
const PIECE_CACHE_LIMIT = 1 << 17;
const PIECE_CACHE_MAX_LENGTH = 64;

/**
 * True when the tokenizer splits text exactly as GPT-2 does: no normalizer, the ByteLevel pre-tokenizer
 * with its regex and no added prefix space, added tokens without strip rules. Then a text's ids are the
 * ids of its added tokens and of its GPT-2 pre-tokens, each encoded alone.
 */
function splitsLikeGpt2(json: TokenizerJson): boolean {
  const pre = json.pre_tokenizer as {
    type?: unknown;
    use_regex?: unknown;
    add_prefix_space?: unknown;
  } | null;
  return (
    json.normalizer === null &&
    pre?.type === 'ByteLevel' &&
    pre.use_regex !== false &&
    pre.add_prefix_space !== true &&
    json.added_tokens.every((t) => t.lstrip !== true && t.rstrip !== true)
  );
}

/**
 * `encode` with each distinct pre-token encoded once: `@huggingface/tokenizers` re-runs its whole
 * pipeline (and an LRU cache that costs more than the BPE) per piece, about 0.7 MB/s on GPT-2; natural
 * text repeats its words, so remembering them makes datasets and corpora several times faster to read.
 * The ids are the library's: every piece not seen yet is encoded by it. Memory stays bounded.
 */
function pieceCachedEncoder(
  json: TokenizerJson,
  encodeWhole: (text: string) => number[],
): (text: string) => number[] {
  const added = new Map(json.added_tokens.map((t) => [t.content, t.id]));
  const contents = [...added.keys()].sort((a, b) => b.length - a.length);
  const splitter = contents.length > 0 ? new RegExp(`(${contents.map(escapeRegExp).join('|')})`, 'u') : null;
  const cache = new Map<string, number[]>();
  const encodePiece = (piece: string): number[] => {
    const cached = cache.get(piece);
    if (cached !== undefined) return cached;
    const ids = encodeWhole(piece);
    if (piece.length <= PIECE_CACHE_MAX_LENGTH) {
      if (cache.size >= PIECE_CACHE_LIMIT) cache.clear();
      cache.set(piece, ids);
    }
    return ids;
  };
  return (text) => {
    const ids: number[] = [];
    const parts = splitter ? text.split(splitter) : [text];
    parts.forEach((part, i) => {
      if (i % 2 === 1) {
        ids.push(added.get(part) as number);
        return;
      }
      for (const [piece] of part.matchAll(GPT2_SPLIT_REGEX)) {
        for (const id of encodePiece(piece)) ids.push(id);
      }
    });
    return ids;
  };
}

/**
 * Loads a Hugging Face `tokenizer.json` (byte-level BPE, the format public GPT-2 checkpoints ship)
 * with `@huggingface/tokenizers`, so a user's own checkpoint tokenizes exactly as it does in Python.
 * Throws FormatError for anything that is not such a tokenizer, before it can mis-tokenize a dataset.
 */
export function loadTokenizer(tokenizerJson: string): AttuneTokenizer {
  const json = parseTokenizerJson(tokenizerJson);
  const byId = checkVocabulary(json);
  const eosTokenId = findEndOfText(json);
  const vocabSize = Math.max(...byId.keys()) + 1;
  let hf: Tokenizer;
  try {
    hf = new Tokenizer(json, { clean_up_tokenization_spaces: false });
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new FormatError(`tokenizer.json cannot be loaded: ${reason}`, { cause });
  }
  const encodeWhole = (text: string): number[] => hf.encode(text, { add_special_tokens: false }).ids;
  const encode = splitsLikeGpt2(json) ? pieceCachedEncoder(json, encodeWhole) : encodeWhole;
  return {
    eosTokenId,
    vocabSize,
    encode,
    encodeOrdinary: ordinaryEncoder(json, encode),
    decode: (ids) => {
      if (ids.length === 0) return '';
      const unknown = ids.find((id) => !byId.has(id));
      if (unknown !== undefined) {
        throw new ModelInputError(`token id ${unknown} is not in the vocabulary (size ${vocabSize})`, {
          param: 'ids',
        });
      }
      return hf.decode([...ids], { skip_special_tokens: false, clean_up_tokenization_spaces: false });
    },
    tokenToId: (token) => hf.token_to_id(token),
  };
}

/**
 * GPT-2's pre-tokenizer split (contractions, letters, numbers, other symbols, whitespace), the same
 * pattern the ByteLevel pre-tokenizer of `@huggingface/tokenizers` applies: BPE never merges across it.
 */
export const GPT2_SPLIT_REGEX =
  /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/**
 * GPT-2's byte → printable character table: byte-level BPE works on these characters so that every
 * byte sequence, valid UTF-8 or not, has a spelling in the vocabulary and no text is ever unknown.
 */
export function bytesToUnicode(): string[] {
  const printable = (b: number): boolean =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const table: string[] = [];
  let next = 256;
  for (let b = 0; b < 256; b++) table.push(String.fromCharCode(printable(b) ? b : next++));
  return table;
}

/** What a byte-level BPE tokenizer is made of, before it becomes a `tokenizer.json`. */
export interface ByteLevelBpe {
  /** Token (in `bytesToUnicode` spelling) → id. */
  vocab: ReadonlyMap<string, number>;
  /** Merges in rank order, each the two tokens it joins. */
  merges: ReadonlyArray<readonly [string, string]>;
  /** Special tokens (e.g. `<|endoftext|>`) and their ids; never split, never merged. */
  specialTokens: ReadonlyMap<string, number>;
}

/**
 * Writes a byte-level BPE as a Hugging Face `tokenizer.json` laid out like GPT-2's own (ByteLevel
 * pre-tokenizer with GPT-2's split regex, ByteLevel decoder, no normalizer), so `transformers`,
 * `tokenizers` and `@huggingface/tokenizers` all load it. The output is deterministic: vocabulary
 * in id order, merges in rank order.
 */
export function toTokenizerJson(bpe: ByteLevelBpe): string {
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [...bpe.specialTokens].map(([content, id]) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: { ...byteLevel, trim_offsets: false },
    decoder: byteLevel,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries([...bpe.vocab].sort((a, b) => a[1] - b[1])),
      merges: bpe.merges.map(([left, right]) => `${left} ${right}`),
    },
  };
  return `${JSON.stringify(json, null, 1)}\n`;
}

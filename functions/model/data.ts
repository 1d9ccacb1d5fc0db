import * as tf from '@tensorflow/tfjs';
import type { ChatMessage, TrainingExample } from '#core/dataset/example.ts';
import { checkExample, isProblem } from '#core/dataset/example.ts';
import { FormatError } from '#core/errors.ts';
import { chatPromptSegments, exampleSegments, type TemplateSegment } from '#model/chat-template.ts';
import { ModelInputError } from '#model/errors.ts';
import type { AttuneTokenizer } from '#model/tokenizer.ts';
import { seededShuffle } from '#model/train-batch.ts';

/**
 * A training example as ids. `lossMask[i]` is 1 when token i is one the model must learn to produce
 * (an answer or completion token, or the `<|endoftext|>` after it), 0 for context. Position 0 is never
 * predicted; the trainer shifts by one (token i is predicted from tokens 0..i-1).
 */
export interface TokenizedExample {
  readonly inputIds: number[];
  readonly lossMask: number[];
}

/** What preparing a dataset did, for the job's events: users must know when their data was cut. */
export interface PreparedExamples {
  readonly examples: TokenizedExample[];
  /** Examples longer than `maxLength`, kept with their start. */
  readonly truncated: number;
  /** Examples left with no trained token after truncation (or with none at all), not kept. */
  readonly dropped: number;
  /** Tokens in the kept examples. */
  readonly tokens: number;
}

/**
 * Parses a JSONL training file (chat or prompt/completion, the format ingestion validated) with the
 * same rules as ingestion; a bad line throws FormatError naming its line number. Blank lines are skipped,
 * and so is a leading byte-order mark, which ingestion's UTF-8 decoder drops too.
 */
export function parseTrainingJsonl(text: string): TrainingExample[] {
  const examples: TrainingExample[] = [];
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  body.split('\n').forEach((line, index) => {
    if (line.trim().length === 0) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (cause) {
      throw new FormatError(`line ${index + 1}: not valid JSON`, { cause });
    }
    const checked = checkExample(value);
    if (isProblem(checked)) throw new FormatError(`line ${index + 1}: ${checked.message}`);
    examples.push(checked);
  });
  return examples;
}

function encodeSegments(segments: readonly TemplateSegment[], tokenizer: AttuneTokenizer): TokenizedExample {
  const inputIds: number[] = [];
  const lossMask: number[] = [];
  for (const segment of segments) {
    const ids = segment.kind === 'text' ? tokenizer.encodeOrdinary(segment.text) : [tokenizer.eosTokenId];
    for (const id of ids) {
      inputIds.push(id);
      lossMask.push(segment.trained ? 1 : 0);
    }
  }
  return { inputIds, lossMask };
}

/**
 * One example through Attune's chat template (see chat-template.ts) into ids and loss mask. Each
 * template segment is encoded on its own, so an answer's first token never fuses with the context, and as
 * ordinary text: a `<|endoftext|>` typed in a message stays text; only the template ends an answer.
 */
export function encodeExample(example: TrainingExample, tokenizer: AttuneTokenizer): TokenizedExample {
  return encodeSegments(exampleSegments(example), tokenizer);
}

/** The ids a model continues to answer `messages`: the same tokens the training context had. */
export function encodeChatPrompt(messages: readonly ChatMessage[], tokenizer: AttuneTokenizer): number[] {
  return encodeSegments(chatPromptSegments(messages), tokenizer).inputIds;
}

/**
 * Encodes every example and fits it to the model: at most `maxLength` tokens (the model's `n_positions`
 * minus the soft prompt's virtual tokens), keeping the start, as the context of an answer comes first.
 * An example that keeps no trained token would teach nothing and is dropped; both are counted.
 */
export function prepareExamples(
  examples: Iterable<TrainingExample>,
  tokenizer: AttuneTokenizer,
  options: { maxLength: number },
): PreparedExamples {
  const { maxLength } = options;
  if (!Number.isInteger(maxLength) || maxLength < 2) {
    throw new ModelInputError(
      `the maximum example length must be an integer of at least 2, got ${maxLength}`,
      {
        param: 'maxLength',
      },
    );
  }
  const kept: TokenizedExample[] = [];
  let truncated = 0;
  let dropped = 0;
  let tokens = 0;
  for (const example of examples) {
    let encoded = encodeExample(example, tokenizer);
    if (encoded.inputIds.length > maxLength) {
      truncated++;
      encoded = {
        inputIds: encoded.inputIds.slice(0, maxLength),
        lossMask: encoded.lossMask.slice(0, maxLength),
      };
    }
    if (!encoded.lossMask.includes(1)) {
      dropped++;
      continue;
    }
    kept.push(encoded);
    tokens += encoded.inputIds.length;
  }
  return { examples: kept, truncated, dropped, tokens };
}

/**
 * Raw text for continued pre-training: each document encoded and followed by `<|endoftext|>`, all of it
 * one stream cut into windows of `windowLength` tokens (the last one may be shorter; a single leftover
 * token, which nothing could be predicted from, is dropped). Every token is trained on. A `<|endoftext|>`
 * written in the text is the separator it means in raw corpora, not the characters.
 */
export function textWindows(
  documents: Iterable<string>,
  tokenizer: AttuneTokenizer,
  windowLength: number,
): TokenizedExample[] {
  if (!Number.isInteger(windowLength) || windowLength < 2) {
    throw new ModelInputError(`the window length must be an integer of at least 2, got ${windowLength}`, {
      param: 'windowLength',
    });
  }
  const stream: number[] = [];
  for (const document of documents) {
    for (const id of tokenizer.encode(document)) stream.push(id);
    stream.push(tokenizer.eosTokenId);
  }
  const windows: TokenizedExample[] = [];
  for (let start = 0; start + 1 < stream.length; start += windowLength) {
    const inputIds = stream.slice(start, start + windowLength);
    windows.push({ inputIds, lossMask: inputIds.map(() => 1) });
  }
  return windows;
}

/** The examples in an order fixed by `seed` (Fisher–Yates, the trainer's generator): runs are repeatable. */
export function shuffleExamples<T>(examples: readonly T[], seed: number): T[] {
  return seededShuffle(examples, seed);
}

/** Consecutive groups of `batchSize` (the last one may be smaller): shuffle first for a random order. */
export function batchesOf<T>(items: readonly T[], batchSize: number): T[][] {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new ModelInputError(`batch size must be a positive integer, got ${batchSize}`, {
      param: 'batchSize',
    });
  }
  const batches: T[][] = [];
  for (let start = 0; start < items.length; start += batchSize)
    batches.push(items.slice(start, start + batchSize));
  return batches;
}

/** A batch as the model takes it: `[B, T]`, right-padded to the longest example (or `length`). */
export interface PaddedBatch {
  /** int32 ids; padding is `padId`. */
  readonly inputIds: tf.Tensor2D;
  /** float32, 1 for a real token and 0 for padding (gpt2Forward's `attentionMask`). */
  readonly attentionMask: tf.Tensor2D;
  /** float32, the examples' loss masks, 0 on padding. */
  readonly lossMask: tf.Tensor2D;
}

/**
 * Pads a batch on the right so every real token keeps its position (GPT-2's learned positions start at
 * the first token). GPT-2 has no padding token: pass `eosTokenId` as `padId`; the attention mask hides it.
 */
export function padBatch(
  examples: readonly TokenizedExample[],
  options: { padId: number; length?: number },
): PaddedBatch {
  if (examples.length === 0)
    throw new ModelInputError('a batch needs at least one example', { param: 'examples' });
  const longest = Math.max(...examples.map((e) => e.inputIds.length));
  const width = options.length ?? longest;
  if (width < longest || width < 1) {
    throw new ModelInputError(`padding length ${width} is shorter than the longest example (${longest})`, {
      param: 'length',
    });
  }
  const ids = new Int32Array(examples.length * width).fill(options.padId);
  const attention = new Float32Array(examples.length * width);
  const loss = new Float32Array(examples.length * width);
  examples.forEach((example, row) => {
    if (example.lossMask.length !== example.inputIds.length) {
      throw new ModelInputError(
        `example ${row} has ${example.inputIds.length} ids but ${example.lossMask.length} loss-mask entries`,
        { param: 'examples' },
      );
    }
    example.inputIds.forEach((id, i) => {
      ids[row * width + i] = id;
      attention[row * width + i] = 1;
      loss[row * width + i] = example.lossMask[i] as number;
    });
  });
  const shape: [number, number] = [examples.length, width];
  return {
    inputIds: tf.tensor2d(ids, shape, 'int32'),
    attentionMask: tf.tensor2d(attention, shape, 'float32'),
    lossMask: tf.tensor2d(loss, shape, 'float32'),
  };
}

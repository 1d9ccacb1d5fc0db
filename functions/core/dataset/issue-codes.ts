/**
 * The codes a rejected line can carry. The first nine are the codes OpenAI's own fine-tuning data checks
 * use, so a team that already knows them reads Attune's reports without a glossary; the rest name what
 * those checks leave unnamed.
 */
export const DATASET_ISSUE_CODES = [
  /** The line is JSON but not an object, or a field of it has the wrong JSON type. */
  'data_type',
  /** A chat example without a non-empty `messages` array, or an object that is neither format. */
  'missing_messages_list',
  /** A message without `role` or without `content`. */
  'message_missing_key',
  /** A message with a key other than `role`, `content`, `name`, `weight`. */
  'message_unrecognized_key',
  /** A role other than `system`, `user`, `assistant`. */
  'unrecognized_role',
  /** A message whose content is not a non-empty string; a prompt/completion example without both strings. */
  'missing_content',
  /** A chat example in which no message is the assistant's: there would be nothing to learn. */
  'example_missing_assistant_message',
  /** The line is not JSON. */
  'invalid_json',
  /** The line's bytes are not UTF-8. */
  'invalid_utf8',
  /** Attune: a top-level key other than `messages` (chat) or `prompt`/`completion`. */
  'example_unrecognized_key',
  /** Attune: a message `weight` other than 0 or 1 (OpenAI's convention for "do not train on this turn"). */
  'invalid_weight',
  /** Attune: an empty or whitespace-only line; JSONL has one JSON value on every line. */
  'blank_line',
  /** Attune: the line is longer than the cap that keeps validation in constant memory. */
  'line_too_long',
  /** Attune: an example in the other format than the file's first example; a file trains one way. */
  'mixed_formats',
  /** Attune: a file without a single line (reported on line 0, meaning the file as a whole). */
  'empty_file',
  /** Attune: ingestion ran out of time before the end of the file; reported on the first unchecked line. */
  'validation_timeout',
] as const;

export type DatasetIssueCode = (typeof DATASET_ISSUE_CODES)[number];

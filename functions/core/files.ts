/**
 * The file domain: what a team's uploaded dataset is, where its bytes live, and how it is shown to
 * OpenAI clients. No AWS here: the repository and the object store are adapters in functions/aws/.
 */
import { ValidationError } from '#core/errors.ts';

export type FileStatus = 'uploaded' | 'processed' | 'error';

/** The first errors of a rejected dataset: line numbers are 1-based, as editors show them. */
export interface DatasetIssue {
  line: number;
  code: string;
  message: string;
}

/** Token statistics of a valid dataset, measured with the default base model's tokenizer. */
export interface TokenStatistics {
  min: number;
  max: number;
  mean: number;
  p95: number;
  total: number;
}

/** What ingestion learned about the file; present once it has run. */
export interface DatasetReport {
  format: 'chat' | 'prompt_completion' | null;
  examples: number;
  tokens: TokenStatistics | null;
  duplicates: number;
  errors: DatasetIssue[];
  tokenizer: string;
}

export interface FileRecord {
  team: string;
  id: string;
  filename: string;
  purpose: string;
  bytes: number;
  createdAt: number;
  status: FileStatus;
  statusDetails: string | null;
  objectKey: string;
  report?: DatasetReport;
}

/** OpenAI's file object, plus `validation` (Attune's extension) once the file has been ingested. */
export interface OpenAIFile {
  id: string;
  object: 'file';
  bytes: number;
  created_at: number;
  filename: string;
  purpose: string;
  status: FileStatus;
  status_details: string | null;
  validation?: DatasetReport;
}

export function toOpenAIFile(record: FileRecord): OpenAIFile {
  const file: OpenAIFile = {
    id: record.id,
    object: 'file',
    bytes: record.bytes,
    created_at: record.createdAt,
    filename: record.filename,
    purpose: record.purpose,
    status: record.status,
    status_details: record.statusDetails,
  };
  if (record.report) file.validation = record.report;
  return file;
}

/** Purposes Attune accepts: training data only. */
export const FILE_PURPOSES = ['fine-tune'] as const;

/** Where a team's file lives in the bucket. The team prefix is what keeps teams apart in S3. */
export function fileObjectKey(team: string, fileId: string): string {
  return `teams/${team}/files/${fileId}`;
}

const FILE_KEY = /^teams\/([a-z0-9][a-z0-9-]{0,62})\/files\/(file-[0-9a-hjkmnp-tv-z]{26})$/;

/** The team and file an S3 key belongs to, or null for a key outside any team's file prefix. */
export function parseFileObjectKey(key: string): { team: string; fileId: string } | null {
  const match = FILE_KEY.exec(key);
  if (!match?.[1] || !match[2]) return null;
  return { team: match[1], fileId: match[2] };
}

const MAX_FILENAME_LENGTH = 255;

/**
 * A file name is only a label (the object key never contains it), but a name with path separators,
 * `..` or control characters is refused: it would mislead whoever downloads the file later.
 */
export function validateFilename(name: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
  const bad = /[/\\\u0000-\u001f\u007f]/;
  if (
    name.length === 0 ||
    name.length > MAX_FILENAME_LENGTH ||
    bad.test(name) ||
    name === '.' ||
    name.includes('..')
  ) {
    throw new ValidationError(
      `Invalid file name '${name.slice(0, 80)}': it must be 1-${MAX_FILENAME_LENGTH} characters without path separators, '..' or control characters.`,
      { param: 'file', code: 'invalid_file_name' },
    );
  }
  return name;
}

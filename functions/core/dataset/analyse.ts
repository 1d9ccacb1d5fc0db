/**
 * One pass over a dataset's bytes that validates every line and, while the file is still valid, measures
 * it: token statistics with the base model's tokenizer and the number of duplicate examples. This is the
 * whole of ingestion that does not touch AWS, so it is tested without it and benchmarked on its own.
 */
import { DuplicateCounter } from '#core/dataset/duplicates.ts';
import type { TrainingExample } from '#core/dataset/example.ts';
import { type DatasetValidation, DatasetValidator } from '#core/dataset/validator.ts';
import type { DatasetReport, FileStatus } from '#core/files.ts';
import { TokenStatsAccumulator } from '#core/token-stats.ts';

export interface AnalysisOptions {
  /**
   * Token count of one example as the trainer will see it (template included): see
   * `loadDatasetTokenizer` in functions/events/dataset-tokenizer.ts.
   */
  countExample: (example: TrainingExample) => number;
  /** Which tokenizer counted, recorded in the report so numbers can be compared later. */
  tokenizer: string;
  maxIssues?: number;
  maxLineBytes?: number;
}

export interface DatasetAnalysis {
  /**
   * What the file record keeps. For a rejected file `tokens` is null and `duplicates` 0 (measuring stops
   * at the first bad line), and `examples` counts the lines that were valid.
   */
  report: DatasetReport;
  validation: DatasetValidation;
  /** Bytes read. */
  bytes: number;
}

export class DatasetAnalyzer {
  private readonly validator: DatasetValidator;
  private readonly stats = new TokenStatsAccumulator();
  private readonly duplicates = new DuplicateCounter();
  private bytes = 0;

  constructor(private readonly options: AnalysisOptions) {
    const { countExample } = options;
    this.validator = new DatasetValidator({
      ...(options.maxIssues !== undefined ? { maxIssues: options.maxIssues } : {}),
      ...(options.maxLineBytes !== undefined ? { maxLineBytes: options.maxLineBytes } : {}),
      onExample: (example) => {
        this.stats.add(countExample(example));
        this.duplicates.add(example);
      },
    });
  }

  push(chunk: Uint8Array): void {
    this.bytes += chunk.length;
    this.validator.push(chunk);
  }

  end(): DatasetAnalysis {
    return this.analysis(this.validator.end());
  }

  /** Stops before the end of the file: the file is then invalid, with `validation_timeout` as the reason. */
  stop(message: string): DatasetAnalysis {
    return this.analysis(this.validator.stop('validation_timeout', message));
  }

  private analysis(validation: DatasetValidation): DatasetAnalysis {
    const valid = validation.invalidLines === 0;
    return {
      report: {
        format: validation.format,
        examples: validation.examples,
        tokens: valid ? this.stats.summary() : null,
        duplicates: valid ? this.duplicates.duplicates : 0,
        errors: validation.issues,
        tokenizer: this.options.tokenizer,
      },
      validation,
      bytes: this.bytes,
    };
  }
}

export async function analyseDataset(
  source: AsyncIterable<Uint8Array>,
  options: AnalysisOptions,
): Promise<DatasetAnalysis> {
  const analyzer = new DatasetAnalyzer(options);
  for await (const chunk of source) analyzer.push(chunk);
  return analyzer.end();
}

/**
 * The file status an analysis leads to. `status_details` of a rejected file names its first bad line and
 * code and how many lines are bad, which is what a user needs to go and fix it.
 */
export function ingestionOutcome(analysis: DatasetAnalysis): {
  status: Exclude<FileStatus, 'uploaded'>;
  statusDetails: string | null;
} {
  const { invalidLines, lines, issues } = analysis.validation;
  const first = issues[0];
  if (!first) return { status: 'processed', statusDetails: null };
  const where = first.line === 0 ? 'the file' : `line ${first.line}`;
  const count = first.code === 'empty_file' ? '' : ` ${invalidLines} of ${lines} lines are invalid;`;
  return {
    status: 'error',
    statusDetails: `Invalid training file:${count} first at ${where} (${first.code}): ${first.message}`,
  };
}

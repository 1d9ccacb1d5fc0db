import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** One run of a job's trainer: epoch ms, as Batch reports its attempts. */
export interface RunAttempt {
  readonly startedAt: number;
  /** For a run still going: the last time it was seen alive. */
  readonly stoppedAt: number;
}

/**
 * The embedded Batch runner's memory of each unfinished job's attempts, kept in a small JSON file so
 * that a job resumed after `npm start` restarts is billed for the runs before the restart too, as Batch
 * bills every attempt of a retried job. A run still going is written with the last time it was seen
 * alive, so even a runner killed outright (no shutdown) leaves a bound on it, at most one heartbeat stale.
 *
 * Writes are synchronous and atomic (a temporary file renamed over the old one): the file is a few
 * hundred bytes, written on attempt starts, stops and heartbeats.
 */
export class AttemptJournal {
  private readonly attempts: Map<string, RunAttempt[]>;

  constructor(private readonly file: string) {
    this.attempts = readJournal(file);
  }

  /** The attempts recorded for a Batch job id (none for a job the journal never saw). */
  read(batchJobId: string): RunAttempt[] {
    return [...(this.attempts.get(batchJobId) ?? [])];
  }

  /** Replaces the job's attempts; `undefined` forgets the job (it finished, nothing will resume it). */
  write(batchJobId: string, attempts: readonly RunAttempt[] | undefined): void {
    if (attempts === undefined) {
      if (!this.attempts.delete(batchJobId)) return;
    } else {
      this.attempts.set(batchJobId, [...attempts]);
    }
    mkdirSync(dirname(this.file), { recursive: true });
    const temporary = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(Object.fromEntries(this.attempts))}\n`);
    renameSync(temporary, this.file);
  }
}

function isAttempt(value: unknown): value is RunAttempt {
  const a = value as RunAttempt;
  return typeof a?.startedAt === 'number' && typeof a.stoppedAt === 'number' && a.stoppedAt >= a.startedAt;
}

/**
 * A missing file is an empty journal. A corrupt one is reported and read as empty: resumed jobs then bill
 * only their runs from now on, which is better than a stack that will not start over a bookkeeping file.
 */
function readJournal(file: string): Map<string, RunAttempt[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      console.warn(`attune: ignoring the unreadable attempt journal ${file}: ${(error as Error).message}`);
    }
    return new Map();
  }
  const journal = new Map<string, RunAttempt[]>();
  if (typeof parsed !== 'object' || parsed === null) return journal;
  for (const [id, attempts] of Object.entries(parsed)) {
    if (Array.isArray(attempts)) journal.set(id, attempts.filter(isAttempt));
  }
  return journal;
}

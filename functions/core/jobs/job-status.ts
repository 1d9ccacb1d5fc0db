/**
 * The job state machine. Every status has a rank, and a job only ever moves to a status of a higher rank,
 * so the order in which AWS Batch, the trainer and the user report things cannot move it backwards:
 * duplicate and out-of-order events are simply refused. The three terminal statuses share the top rank,
 * so whichever terminal status lands first is final (a cancelled job stays cancelled).
 */

export const JOB_STATUSES = [
  'validating_files',
  'queued',
  'running',
  'succeeded',
  'failed',
  'cancelled',
] as const;

export type JobStatus = (typeof JOB_STATUSES)[number];

export type TerminalJobStatus = 'succeeded' | 'failed' | 'cancelled';

/** The rank a status has; a write is only allowed to raise it (DynamoDB checks it in the condition). */
export const STATUS_RANK: Readonly<Record<JobStatus, number>> = {
  validating_files: 0,
  queued: 1,
  running: 2,
  succeeded: 3,
  failed: 3,
  cancelled: 3,
};

export const TERMINAL_RANK = 3;

export function isTerminal(status: JobStatus): status is TerminalJobStatus {
  return STATUS_RANK[status] === TERMINAL_RANK;
}

/** True when a job in `from` may move to `to`: strictly up the ranks, never out of a terminal status. */
export function canAdvance(from: JobStatus, to: JobStatus): boolean {
  return STATUS_RANK[to] > STATUS_RANK[from];
}

/** The status after a report of `next` reaches a job in `current`: `next` if it advances, else `current`. */
export function advance(current: JobStatus, next: JobStatus): JobStatus {
  return canAdvance(current, next) ? next : current;
}

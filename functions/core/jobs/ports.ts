import type { ActualCost, JobError, JobRecord, MeasuredRun, QueueKind } from '#core/jobs/job.ts';
import type { CheckpointRecord, JobEventRecord } from '#core/jobs/job-events.ts';
import type { JobStatus } from '#core/jobs/job-status.ts';
import type { ModelRecord } from '#core/jobs/models.ts';
import type { PageRequest } from '#core/pagination.ts';

/**
 * What the job domain needs from storage, implemented over DynamoDB in functions/aws/. The API, the
 * status handler and the trainer all change jobs only through these, so every change is conditional.
 */

/** A retried create carries the same key; `fingerprint` tells a true retry from a different request. */
export interface IdempotencyClaim {
  readonly key: string;
  readonly fingerprint: string;
}

export interface CreateOutcome {
  readonly job: JobRecord;
  /** False when the idempotency key had already created `job`. */
  readonly created: boolean;
}

/** Fields a transition may set beside the status. `batchJobId` is only ever set once. */
export interface TransitionChanges {
  readonly error?: JobError;
  readonly finishedAt?: number;
  readonly trainedTokens?: number;
  readonly estimatedFinish?: number | null;
  readonly batchJobId?: string;
  readonly queue?: QueueKind;
  readonly queueReason?: string;
  /** With a terminal status: what the run cost, so the job never shows finished without it. */
  readonly actualCost?: ActualCost;
}

export interface JobProgress {
  readonly trainedTokens: number;
  /** Unix seconds. */
  readonly estimatedFinish: number | null;
  /** The trainer's measurement, reported with its last progress once the artifact is uploaded. */
  readonly measured?: MeasuredRun;
}

export interface TransitionOutcome {
  /** True when this write moved the job; false when it was already at or past `to` (or gone). */
  readonly applied: boolean;
  /** The job after the attempt (undefined when there is no such job). */
  readonly job: JobRecord | undefined;
}

export interface JobListQuery extends PageRequest {
  /** Only jobs whose metadata has every one of these pairs. */
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface JobStore {
  create(job: JobRecord, idempotency?: IdempotencyClaim): Promise<CreateOutcome>;
  get(team: string, id: string): Promise<JobRecord | undefined>;
  /** Newest first; up to `limit + 1` so the caller can tell whether more exist. */
  list(team: string, query: JobListQuery): Promise<JobRecord[]>;
  transition(
    team: string,
    id: string,
    to: JobStatus,
    changes?: TransitionChanges,
  ): Promise<TransitionOutcome>;
  /**
   * The trainer's progress (tokens trained so far, when it expects to finish). Written only while the job
   * is running, so a late report cannot touch a finished job; false when it was not running.
   */
  recordProgress(team: string, id: string, progress: JobProgress): Promise<boolean>;
  /**
   * Records what a finished job cost. Written once, and only on a job in a terminal status: true for the
   * write that recorded it, false when it was already recorded (a redelivered event) or the job is not
   * finished, so whoever gets true settles the spend ledger and the calibration exactly once.
   */
  recordActualCost(team: string, id: string, actual: ActualCost): Promise<boolean>;
  /** Every team's unfinished jobs, oldest first. */
  listActive(): Promise<JobRecord[]>;
  addEvent(team: string, event: JobEventRecord): Promise<void>;
  /** Newest first; up to `limit + 1`. */
  listEvents(team: string, jobId: string, page: PageRequest): Promise<JobEventRecord[]>;
  addCheckpoint(team: string, checkpoint: CheckpointRecord): Promise<void>;
  /** Newest first; up to `limit + 1`. */
  listCheckpoints(team: string, jobId: string, page: PageRequest): Promise<CheckpointRecord[]>;
}

export interface ModelStore {
  /** Registers a tuned model; putting the same record again is harmless. */
  put(record: ModelRecord): Promise<void>;
  get(team: string, id: string): Promise<ModelRecord | undefined>;
  /** Every tuned model of the team, newest first. */
  list(team: string): Promise<ModelRecord[]>;
  /** False when there was none. */
  delete(team: string, id: string): Promise<boolean>;
}

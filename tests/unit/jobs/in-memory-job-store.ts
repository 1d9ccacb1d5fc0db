import type { ActualCost, JobRecord } from '#core/jobs/job.ts';
import type { CheckpointRecord, JobEventRecord } from '#core/jobs/job-events.ts';
import { canAdvance, isTerminal, type JobStatus } from '#core/jobs/job-status.ts';
import type {
  CreateOutcome,
  JobListQuery,
  JobProgress,
  JobStore,
  TransitionChanges,
  TransitionOutcome,
} from '#core/jobs/ports.ts';
import type { PageRequest } from '#core/pagination.ts';

/** One call of a method that may change the store, in the order it was made. */
export interface JobStoreWrite {
  readonly method:
    | 'create'
    | 'transition'
    | 'recordProgress'
    | 'recordActualCost'
    | 'addEvent'
    | 'addCheckpoint';
  readonly id: string;
}

/** Newest first (ids sort by time), from after `after`, up to `limit + 1`, as the repositories page. */
function page<T extends { id: string }>(items: T[], request: PageRequest): T[] {
  const sorted = [...items].sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  const start = request.after === undefined ? 0 : sorted.findIndex((item) => item.id < (request.after ?? ''));
  return start < 0 ? [] : sorted.slice(start, start + request.limit + 1);
}

/** An event or checkpoint with the team whose partition holds it. */
export interface TeamEntry<T> {
  readonly team: string;
  readonly record: T;
}

/** A page of the entries of one team's job. */
function pageOfJob<T extends { id: string; jobId: string }>(
  entries: readonly TeamEntry<T>[],
  team: string,
  jobId: string,
  request: PageRequest,
): T[] {
  const mine = entries.filter((e) => e.team === team && e.record.jobId === jobId).map((e) => e.record);
  return page(mine, request);
}

/**
 * The job store's conditions (status ranks only rise, the actual cost is written once and only on a
 * finished job, a Batch job id is set once) kept in memory, with every call that could write recorded in
 * `writes`, so a test can assert that a read wrote nothing.
 */
export class InMemoryJobStore implements JobStore {
  readonly writes: JobStoreWrite[] = [];
  readonly events: Array<TeamEntry<JobEventRecord>> = [];
  readonly checkpoints: Array<TeamEntry<CheckpointRecord>> = [];
  private readonly jobs = new Map<string, JobRecord>();

  constructor(jobs: readonly JobRecord[] = []) {
    for (const job of jobs) this.jobs.set(this.key(job.team, job.id), job);
  }

  private key(team: string, id: string): string {
    return `${team}|${id}`;
  }

  async create(job: JobRecord): Promise<CreateOutcome> {
    this.writes.push({ method: 'create', id: job.id });
    const existing = this.jobs.get(this.key(job.team, job.id));
    if (existing) return { job: existing, created: false };
    this.jobs.set(this.key(job.team, job.id), job);
    return { job, created: true };
  }

  async get(team: string, id: string): Promise<JobRecord | undefined> {
    return this.jobs.get(this.key(team, id));
  }

  async list(team: string, query: JobListQuery): Promise<JobRecord[]> {
    const wanted = Object.entries(query.metadata ?? {});
    const mine = [...this.jobs.values()].filter(
      (job) => job.team === team && wanted.every(([k, v]) => job.metadata?.[k] === v),
    );
    return page(mine, query);
  }

  async transition(
    team: string,
    id: string,
    to: JobStatus,
    changes: TransitionChanges = {},
  ): Promise<TransitionOutcome> {
    this.writes.push({ method: 'transition', id });
    const job = this.jobs.get(this.key(team, id));
    if (!job) return { applied: false, job: undefined };
    if (!canAdvance(job.status, to)) return { applied: false, job };
    const defined = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
    const moved: JobRecord = {
      ...job,
      ...defined,
      status: to,
      batchJobId: job.batchJobId ?? changes.batchJobId ?? null,
    };
    this.jobs.set(this.key(team, id), moved);
    return { applied: true, job: moved };
  }

  async recordProgress(team: string, id: string, progress: JobProgress): Promise<boolean> {
    this.writes.push({ method: 'recordProgress', id });
    const job = this.jobs.get(this.key(team, id));
    if (job?.status !== 'running') return false;
    this.jobs.set(this.key(team, id), {
      ...job,
      trainedTokens: progress.trainedTokens,
      estimatedFinish: progress.estimatedFinish,
      ...(progress.measured ? { measuredRun: progress.measured } : {}),
    });
    return true;
  }

  async recordActualCost(team: string, id: string, actual: ActualCost): Promise<boolean> {
    this.writes.push({ method: 'recordActualCost', id });
    const job = this.jobs.get(this.key(team, id));
    if (!job || !isTerminal(job.status) || job.actualCost) return false;
    this.jobs.set(this.key(team, id), { ...job, actualCost: actual });
    return true;
  }

  async listActive(): Promise<JobRecord[]> {
    return [...this.jobs.values()]
      .filter((job) => !isTerminal(job.status))
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  async addEvent(team: string, event: JobEventRecord): Promise<void> {
    this.writes.push({ method: 'addEvent', id: event.jobId });
    this.events.push({ team, record: event });
  }

  async listEvents(team: string, jobId: string, request: PageRequest): Promise<JobEventRecord[]> {
    return pageOfJob(this.events, team, jobId, request);
  }

  async addCheckpoint(team: string, checkpoint: CheckpointRecord): Promise<void> {
    this.writes.push({ method: 'addCheckpoint', id: checkpoint.jobId });
    this.checkpoints.push({ team, record: checkpoint });
  }

  async listCheckpoints(team: string, jobId: string, request: PageRequest): Promise<CheckpointRecord[]> {
    return pageOfJob(this.checkpoints, team, jobId, request);
  }
}

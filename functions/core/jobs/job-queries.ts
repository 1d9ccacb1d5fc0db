import { type Clock, epochSeconds } from '#core/clock.ts';
import { jobNotFound } from '#core/jobs/cancel-job.ts';
import { asReported } from '#core/jobs/interrupted-dispatch.ts';
import type { JobRecord } from '#core/jobs/job.ts';
import type { CheckpointRecord, JobEventRecord } from '#core/jobs/job-events.ts';
import type { JobListQuery, JobStore } from '#core/jobs/ports.ts';
import type { PageRequest } from '#core/pagination.ts';

/**
 * The reads of the fine-tuning jobs API. They write nothing: a job whose dispatch was interrupted is
 * reported as the failure it will be recorded as (see interrupted-dispatch.ts), never repaired here.
 */

export interface JobQueryDeps {
  readonly jobs: JobStore;
  readonly now: Clock;
}

/** The team's job as stored; absent and another team's are the same 404. */
async function teamJob(deps: Pick<JobQueryDeps, 'jobs'>, team: string, id: string): Promise<JobRecord> {
  const job = await deps.jobs.get(team, id);
  if (!job) throw jobNotFound(id);
  return job;
}

/** The team's job as reported. */
export async function getJob(deps: JobQueryDeps, team: string, id: string): Promise<JobRecord> {
  return asReported(await teamJob(deps, team, id), epochSeconds(deps.now));
}

/** A page of the team's jobs, newest first, as reported. */
export async function listJobs(deps: JobQueryDeps, team: string, query: JobListQuery): Promise<JobRecord[]> {
  const now = epochSeconds(deps.now);
  return (await deps.jobs.list(team, query)).map((job) => asReported(job, now));
}

/** A page of the job's events, newest first; the job must be the team's. */
export async function listJobEvents(
  deps: Pick<JobQueryDeps, 'jobs'>,
  team: string,
  id: string,
  page: PageRequest,
): Promise<JobEventRecord[]> {
  await teamJob(deps, team, id);
  return deps.jobs.listEvents(team, id, page);
}

/** A page of the job's checkpoints, newest first, with the job they belong to. */
export async function listJobCheckpoints(
  deps: Pick<JobQueryDeps, 'jobs'>,
  team: string,
  id: string,
  page: PageRequest,
): Promise<{ job: JobRecord; checkpoints: CheckpointRecord[] }> {
  const job = await teamJob(deps, team, id);
  return { job, checkpoints: await deps.jobs.listCheckpoints(team, id, page) };
}

import { type Clock, clockOf, epochSeconds } from '#core/clock.ts';
import type { JobError, JobRecord } from '#core/jobs/job.ts';
import { logJobEvent } from '#core/jobs/job-lifecycle.ts';
import { actualCostOf, type SettlementDeps, settleJob } from '#core/jobs/job-settlement.ts';
import type { JobStore } from '#core/jobs/ports.ts';

/**
 * A job whose create request died between storing it and dispatching it (a Lambda timeout or crash)
 * stays in `validating_files` with no Batch job id, and nothing would ever move it on. Reads report such a
 * job as what it will become; only the scheduled sweep (in AWS) fails it and refunds its estimate, and the
 * embedded stack's runner dispatches it when it resumes. A GET never writes.
 */

/**
 * Longer than any create request can take (API Gateway gives up at 30 s, the Lambda's timeout is under
 * it): a job still in `validating_files` without a Batch job id after this was never dispatched.
 */
export const DISPATCH_DEADLINE_SECONDS = 300;

const INTERRUPTED: JobError = {
  code: 'dispatch_interrupted',
  message:
    'The job was stored but never dispatched: the request that created it ended before it reached the job queue. Create it again.',
  param: null,
};

/** Whether no create request can still be dispatching this job. */
export function looksInterrupted(job: JobRecord, nowSeconds: number): boolean {
  return (
    job.status === 'validating_files' &&
    !job.batchJobId &&
    nowSeconds - job.createdAt >= DISPATCH_DEADLINE_SECONDS
  );
}

/**
 * The job as a read reports it: an interrupted dispatch shows as the failure the sweep will record (at no
 * cost, since it never ran); every other job as stored. Nothing is written.
 */
export function asReported(job: JobRecord, nowSeconds: number): JobRecord {
  if (!looksInterrupted(job, nowSeconds)) return job;
  return {
    ...job,
    status: 'failed',
    error: INTERRUPTED,
    finishedAt: job.createdAt + DISPATCH_DEADLINE_SECONDS,
    estimatedFinish: null,
    actualCost: actualCostOf(job, 0),
  };
}

export interface InterruptedDispatchDeps {
  readonly jobs: JobStore;
  readonly spend?: SettlementDeps['spend'];
  readonly now?: Clock;
}

/**
 * Fails a job whose dispatch was interrupted, with an error that says so, and refunds its estimate. Other
 * jobs are returned as they are. The transition is conditional, so two sweeps racing change nothing twice.
 */
export async function failInterruptedDispatch(
  deps: InterruptedDispatchDeps,
  job: JobRecord,
): Promise<JobRecord> {
  const now = epochSeconds(clockOf(deps));
  if (!looksInterrupted(job, now)) return job;
  const failed = await deps.jobs.transition(job.team, job.id, 'failed', {
    error: INTERRUPTED,
    finishedAt: now,
    estimatedFinish: null,
  });
  const current = failed.job ?? job;
  if (!failed.applied) return current;
  await logJobEvent(
    deps,
    current,
    'error',
    `The job failed: ${current.error?.message ?? 'never dispatched'}`,
  );
  await settleJob({ jobs: deps.jobs, ...(deps.spend ? { spend: deps.spend } : {}) }, current, 0);
  return (await deps.jobs.get(job.team, job.id)) ?? current;
}

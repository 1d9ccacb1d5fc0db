import { type Clock, clockOf, epochSeconds } from '#core/clock.ts';
import { ConflictError, NotFoundError } from '#core/errors.ts';
import type { SpendLedger } from '#core/estimate/budget.ts';
import type { JobDispatcher } from '#core/jobs/dispatch.ts';
import type { JobRecord } from '#core/jobs/job.ts';
import { logJobEvent } from '#core/jobs/job-lifecycle.ts';
import { settleJob } from '#core/jobs/job-settlement.ts';
import type { JobStatus } from '#core/jobs/job-status.ts';
import type { JobStore } from '#core/jobs/ports.ts';

export interface CancelJobDeps {
  readonly jobs: JobStore;
  readonly dispatcher: JobDispatcher;
  /** Where a job cancelled before it had a run gets its estimate back. */
  readonly spend?: SpendLedger;
  readonly now?: Clock;
}

export function jobNotFound(id: string): NotFoundError {
  return new NotFoundError(`No such fine-tuning job: ${id.slice(0, 80)}`, { param: 'fine_tuning_job_id' });
}

function alreadyFinished(job: JobRecord): ConflictError {
  return new ConflictError(
    `Job ${job.id} has already ${job.status}; only a job that has not finished can be cancelled.`,
    {
      param: 'fine_tuning_job_id',
      code: 'job_already_finished',
    },
  );
}

async function stopRun(deps: CancelJobDeps, job: JobRecord, status: JobStatus): Promise<void> {
  if (!job.batchJobId) return;
  await deps.dispatcher.cancel(
    { team: job.team, id: job.id, batchJobId: job.batchJobId, status },
    'Cancelled by the team through the Attune API',
  );
}

/**
 * `POST /v1/fine_tuning/jobs/{id}/cancel`. The record is marked cancelled first (a conditional write, so
 * a job that finished meanwhile is a 409), then the run is stopped. Cancelling a cancelled job asks Batch
 * to stop it again and answers the job, so a retry after a failed stop finishes the work. A job with a run
 * is settled when its run's end is reported; one that never had a run is settled here, at zero cost.
 */
export async function cancelJob(deps: CancelJobDeps, team: string, id: string): Promise<JobRecord> {
  const job = await deps.jobs.get(team, id);
  if (!job) throw jobNotFound(id);
  if (job.status === 'cancelled') {
    await stopRun(deps, job, 'running');
    return job;
  }
  if (job.status === 'succeeded' || job.status === 'failed') throw alreadyFinished(job);
  const outcome = await deps.jobs.transition(team, id, 'cancelled', {
    finishedAt: epochSeconds(clockOf(deps)),
    estimatedFinish: null,
  });
  const current = outcome.job;
  if (!current) throw jobNotFound(id);
  if (!outcome.applied && current.status !== 'cancelled') throw alreadyFinished(current);
  if (outcome.applied) await logJobEvent(deps, current, 'info', 'The job was cancelled');
  if (outcome.applied && !current.batchJobId) {
    await settleJob({ jobs: deps.jobs, ...(deps.spend ? { spend: deps.spend } : {}) }, current, 0);
  }
  await stopRun(deps, current, job.status);
  return current;
}

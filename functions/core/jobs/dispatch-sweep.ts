import type { Clock } from '#core/clock.ts';
import { failInterruptedDispatch } from '#core/jobs/interrupted-dispatch.ts';
import type { JobRecord } from '#core/jobs/job.ts';
import type { SettlementDeps } from '#core/jobs/job-settlement.ts';
import type { JobStore } from '#core/jobs/ports.ts';

/** What one sweep did, for its log line. */
export interface DispatchSweepReport {
  /** Unfinished jobs looked at. */
  readonly checked: number;
  /** Stranded jobs found, now failed as `dispatch_interrupted` (by this sweep, or another racing it). */
  readonly failed: readonly string[];
}

export interface DispatchSweepDeps {
  readonly jobs: JobStore;
  readonly spend?: SettlementDeps['spend'];
  readonly now?: Clock;
}

/**
 * Fails every job whose create request died between storing it and dispatching it, and refunds its
 * estimate. Reads only report such a job as failed; this runs on a schedule in AWS and is what records it,
 * so that it does not sit in `validating_files`, holding its estimate against the team's budget, forever. Only the
 * active-jobs index is read (no table scan), and each failure is a conditional transition, so two sweeps
 * racing, or a sweep racing a late dispatch, change nothing twice.
 */
export async function sweepInterruptedDispatches(deps: DispatchSweepDeps): Promise<DispatchSweepReport> {
  const active = await deps.jobs.listActive();
  const failed: string[] = [];
  for (const job of active) {
    const after: JobRecord = await failInterruptedDispatch(deps, job);
    if (after.status === 'failed' && job.status !== 'failed') failed.push(job.id);
  }
  return { checked: active.length, failed };
}

import { type Clock, clockOf, epochSeconds } from '#core/clock.ts';
import type { SpendLedger } from '#core/estimate/budget.ts';
import type { CalibrationStore } from '#core/estimate/throughput.ts';
import { sortableId } from '#core/ids.ts';
import type { JobDispatcher } from '#core/jobs/dispatch.ts';
import type { JobError, JobRecord } from '#core/jobs/job.ts';
import type { JobEventLevel } from '#core/jobs/job-events.ts';
import { actualCostOf, settleJob, settleRecordedCost } from '#core/jobs/job-settlement.ts';
import { isTerminal, type JobStatus } from '#core/jobs/job-status.ts';
import { modelArtifactPrefix } from '#core/jobs/models.ts';
import type { JobStore, ModelStore, TransitionChanges, TransitionOutcome } from '#core/jobs/ports.ts';

/**
 * What happens when a run reports a status (AWS Batch's state changes, the local runner's, the trainer's):
 * one conditional transition, an event when it moved the job, the model registered when it succeeded, and
 * a run that starts after its job was cancelled is stopped again, and a finished run settles its job
 * (actual cost, spend ledger, calibration; see job-settlement.ts). Safe to apply twice or out of order.
 */

export interface LifecycleDeps {
  readonly jobs: JobStore;
  readonly models: ModelStore;
  readonly dispatcher: JobDispatcher;
  /** The team's month is corrected from estimated to actual cost here, when a ledger is kept. */
  readonly spend?: SpendLedger;
  /** Succeeded runs' measured throughput goes here, when calibration is kept. */
  readonly calibration?: CalibrationStore;
  readonly now?: Clock;
}

export interface RunReport {
  readonly team: string;
  readonly jobId: string;
  readonly status: JobStatus;
  readonly batchJobId?: string;
  readonly error?: JobError;
  /** With a terminal status: the wall time all the run's attempts occupied an instance (0 if none ran). */
  readonly runSeconds?: number;
  /** With `runSeconds`: how many attempts ran. */
  readonly runAttempts?: number;
}

const MESSAGES: Record<JobStatus, string> = {
  validating_files: 'Validating training file',
  queued: 'Job queued',
  running: 'Job started running',
  succeeded: 'The job has successfully completed',
  failed: 'The job failed',
  cancelled: 'The job was cancelled',
};

let lastEventMs = 0;

/**
 * A time-sortable event id that is strictly increasing within the process: events are listed by id, and
 * two events logged in the same millisecond (created, then queued) must not come back in random order.
 */
export function newEventId(now: number = Date.now()): string {
  lastEventMs = Math.max(now, lastEventMs + 1);
  return `ftevent-${sortableId(lastEventMs)}`;
}

const nowSeconds = (deps: { now?: Clock }): number => epochSeconds(clockOf(deps));

/** Appends a message event to the job's log. */
export async function logJobEvent(
  deps: Pick<LifecycleDeps, 'jobs' | 'now'>,
  job: Pick<JobRecord, 'team' | 'id'>,
  level: JobEventLevel,
  message: string,
  data: Record<string, unknown> | null = null,
): Promise<void> {
  await deps.jobs.addEvent(job.team, {
    id: newEventId(),
    jobId: job.id,
    createdAt: nowSeconds(deps),
    level,
    message,
    type: 'message',
    data,
  });
}

/** Registers the tuned model of a succeeded job; a repeated call puts the same record again. */
export async function registerJobModel(deps: Pick<LifecycleDeps, 'models'>, job: JobRecord): Promise<void> {
  const prompt = job.method.type === 'prompt_tuning';
  await deps.models.put({
    team: job.team,
    id: job.outputModel,
    kind: prompt ? 'pt' : 'ft',
    baseModel: job.baseModel,
    attachesTo: prompt ? job.model : null,
    jobId: job.id,
    createdAt: job.finishedAt ?? job.createdAt,
    artifactPrefix: modelArtifactPrefix(job.team, job.id),
  });
}

/** Moves a job as a run reported, and does what that status entails. */
export async function applyRunReport(deps: LifecycleDeps, report: RunReport): Promise<TransitionOutcome> {
  // A finished run's cost is written with its terminal status, so no reader sees the one without the other.
  const settles = isTerminal(report.status) && report.runSeconds !== undefined;
  const before = isTerminal(report.status) ? await deps.jobs.get(report.team, report.jobId) : undefined;
  const actualCost =
    before && settles ? actualCostOf(before, report.runSeconds ?? 0, report.runAttempts) : undefined;
  const changes: TransitionChanges = {
    ...(report.batchJobId ? { batchJobId: report.batchJobId } : {}),
    ...(report.error ? { error: report.error } : {}),
    ...(isTerminal(report.status) ? { finishedAt: nowSeconds(deps), estimatedFinish: null } : {}),
    ...(actualCost && !isTerminal(before?.status ?? 'queued') ? { actualCost } : {}),
  };
  // The model is registered before the job says succeeded, so a client that sees `succeeded` can use it at
  // once; it is withdrawn if the job finished otherwise meanwhile (a cancel that won the race).
  const registersFirst = report.status === 'succeeded' && before !== undefined && !isTerminal(before.status);
  if (registersFirst) await registerJobModel(deps, { ...before, finishedAt: changes.finishedAt ?? null });
  const outcome = await deps.jobs.transition(report.team, report.jobId, report.status, changes);
  const job = outcome.job;
  if (!job) return outcome;
  if (registersFirst && job.status !== 'succeeded') await deps.models.delete(job.team, job.outputModel);
  if (outcome.applied) {
    const failed = report.status === 'failed';
    await logJobEvent(
      deps,
      job,
      failed ? 'error' : 'info',
      failed && report.error ? `${MESSAGES.failed}: ${report.error.message}` : MESSAGES[report.status],
      report.batchJobId ? { batch_job_id: report.batchJobId } : null,
    );
  }
  // Registering is idempotent, so a redelivered success repairs a registration that failed the first time.
  if (job.status === 'succeeded' && report.status === 'succeeded') await registerJobModel(deps, job);
  // The run's end settles the job whatever ended it first (a cancel, a success): the run time is known now.
  if (settles && outcome.applied && changes.actualCost) {
    await settleRecordedCost(deps, job, changes.actualCost);
  } else if (settles && isTerminal(job.status)) {
    await settleJob(deps, job, report.runSeconds ?? 0, report.runAttempts);
  }
  const batchJobId = report.batchJobId ?? job.batchJobId;
  const startedAfterCancel =
    !outcome.applied &&
    job.status === 'cancelled' &&
    (report.status === 'queued' || report.status === 'running');
  if (startedAfterCancel && batchJobId) {
    await deps.dispatcher.cancel(
      { team: job.team, id: job.id, batchJobId, status: report.status },
      'The Attune job was cancelled before its run started',
    );
  }
  return outcome;
}

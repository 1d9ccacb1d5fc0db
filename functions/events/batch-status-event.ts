/**
 * The status handler: EventBridge "Batch Job State Change" events in, conditional job transitions out.
 * The embedded stack's local runner sends the same event shape to the same handler. Events of Batch jobs
 * that carry no Attune identity are ignored with a log line; a malformed event is an error.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, EventBridgeEvent } from 'aws-lambda';
import { JOB_PARAMETER, JOB_TAG, TEAM_PARAMETER, TEAM_TAG } from '#aws/batch-dispatcher.ts';
import type { AwsClients } from '#aws/clients.ts';
import type { AttuneConfig } from '#aws/config.ts';
import { createStores } from '#aws/stores.ts';
import { isWellFormedId } from '#core/ids.ts';
import type { JobDispatcher } from '#core/jobs/dispatch.ts';
import type { JobError } from '#core/jobs/job.ts';
import { applyRunReport, type LifecycleDeps, type RunReport } from '#core/jobs/job-lifecycle.ts';
import type { JobStatus } from '#core/jobs/job-status.ts';

export const BATCH_STATE_CHANGE = 'Batch Job State Change';

export type BatchJobStatus =
  | 'SUBMITTED'
  | 'PENDING'
  | 'RUNNABLE'
  | 'STARTING'
  | 'RUNNING'
  | 'SUCCEEDED'
  | 'FAILED';

/** The part of Batch's event detail the handler reads (Batch sends DescribeJobs' job object). */
export interface BatchJobStateDetail {
  jobId: string;
  jobName?: string;
  status: BatchJobStatus;
  statusReason?: string;
  parameters?: Record<string, string>;
  tags?: Record<string, string>;
  container?: { exitCode?: number; reason?: string };
  /** Every attempt that got a container, with its start and stop in epoch milliseconds. */
  attempts?: { startedAt?: number; stoppedAt?: number }[];
}

export type BatchStateChangeEvent = EventBridgeEvent<typeof BATCH_STATE_CHANGE, BatchJobStateDetail>;

/** Batch's statuses as Attune's: everything before the container runs is still `queued`. */
export const BATCH_TO_JOB_STATUS: Readonly<Record<BatchJobStatus, JobStatus>> = {
  SUBMITTED: 'queued',
  PENDING: 'queued',
  RUNNABLE: 'queued',
  STARTING: 'queued',
  RUNNING: 'running',
  SUCCEEDED: 'succeeded',
  FAILED: 'failed',
};

/** The job error of a failed Batch job: a timeout, a lost host after every retry, or the trainer's exit. */
export function failureOf(detail: BatchJobStateDetail): JobError {
  const reason = detail.statusReason ?? 'no reason given';
  const container = detail.container;
  const exit = container?.exitCode === undefined ? '' : ` (exit code ${container.exitCode})`;
  const containerReason = container?.reason ? `: ${container.reason}` : '';
  const code = /timeout/i.test(reason)
    ? 'timeout'
    : reason.startsWith('Host EC2')
      ? 'host_terminated'
      : 'training_failed';
  return { code, message: `${reason}${exit}${containerReason}`, param: null };
}

const TEAM = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * The wall time a finished Batch job occupied instances: the sum of its attempts (a retried spot reclaim
 * was billed too). A job cancelled before it ran has no attempts, and cost nothing.
 */
export function runSecondsOf(detail: BatchJobStateDetail): number {
  let ms = 0;
  for (const attempt of detail.attempts ?? []) {
    if (attempt.startedAt !== undefined && attempt.stoppedAt !== undefined) {
      ms += Math.max(0, attempt.stoppedAt - attempt.startedAt);
    }
  }
  return ms / 1000;
}

/**
 * The Attune report an event amounts to, or null when the Batch job is not an Attune job (no identity in
 * its tags or parameters). A status Batch does not document is an error, never a guess.
 */
export function reportFromBatchEvent(event: BatchStateChangeEvent): RunReport | null {
  const detail = event.detail;
  const status = BATCH_TO_JOB_STATUS[detail.status];
  if (status === undefined) throw new Error(`unknown AWS Batch job status '${String(detail.status)}'`);
  const jobId = detail.tags?.[JOB_TAG] ?? detail.parameters?.[JOB_PARAMETER];
  const team = detail.tags?.[TEAM_TAG] ?? detail.parameters?.[TEAM_PARAMETER];
  if (!jobId || !team || !isWellFormedId(jobId, 'ftjob') || !TEAM.test(team)) return null;
  return {
    team,
    jobId,
    status,
    batchJobId: detail.jobId,
    ...(status === 'failed' ? { error: failureOf(detail) } : {}),
    ...(status === 'succeeded' || status === 'failed'
      ? { runSeconds: runSecondsOf(detail), runAttempts: detail.attempts?.length ?? 0 }
      : {}),
  };
}

export type BatchStatusOutcome = 'applied' | 'ignored' | 'unchanged' | 'unknown_job';

/** Applies one event; the outcome says what happened, for logs and tests. */
export async function handleBatchStatusEvent(
  deps: LifecycleDeps,
  event: BatchStateChangeEvent,
): Promise<BatchStatusOutcome> {
  if (event['detail-type'] !== BATCH_STATE_CHANGE) return 'ignored';
  const report = reportFromBatchEvent(event);
  if (!report) return 'ignored';
  const outcome = await applyRunReport(deps, report);
  if (!outcome.job) return 'unknown_job';
  return outcome.applied ? 'applied' : 'unchanged';
}

/** The service name every status log line carries (Powertools' `service` key). */
export const STATUS_SERVICE_NAME = 'attune-batch-status';

/** The repositories a job's lifecycle changes, over one set of clients, and the dispatcher that cancels runs. */
export function createLifecycleDeps(
  config: AttuneConfig,
  clients: AwsClients,
  dispatcher: JobDispatcher,
): LifecycleDeps {
  const { jobs, models, spend, calibration } = createStores(config, clients);
  return { jobs, models, spend, calibration, dispatcher };
}

/**
 * The status handler over its dependencies. An infrastructure error rejects, so EventBridge's retry
 * redelivers the event.
 */
export function createBatchStatusHandler(deps: LifecycleDeps, logger: Logger) {
  return async (event: BatchStateChangeEvent, context?: Context): Promise<BatchStatusOutcome> => {
    if (context) logger.addContext(context);
    const outcome = await handleBatchStatusEvent(deps, event);
    const detail = event.detail;
    if (outcome === 'ignored')
      logger.info('Ignored a Batch job without an Attune job', { batchJobId: detail?.jobId });
    else logger.info('Batch job state change', { batchJobId: detail.jobId, status: detail.status, outcome });
    return outcome;
  };
}

import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { JOB_PARAMETER, JOB_TAG, MAX_ATTEMPTS, TEAM_PARAMETER, TEAM_TAG } from '#aws/batch-dispatcher.ts';
import type { DispatchedJob, DispatchPlan, JobDispatcher } from '#core/jobs/dispatch.ts';
import type { JobRecord, QueueKind } from '#core/jobs/job.ts';
import {
  BATCH_STATE_CHANGE,
  type BatchJobStateDetail,
  type BatchJobStatus,
  type BatchStateChangeEvent,
} from '#events/batch-status-event.ts';
import type { AttemptJournal, RunAttempt } from '#local/attempt-journal.ts';

/**
 * The embedded stack's AWS Batch: one queue per Batch queue with bounded concurrency, the trainer run as a
 * child process with the container's environment contract, and Batch's "Batch Job State Change" events
 * sent to the same status handler EventBridge invokes in AWS. A child killed by a signal it was not sent
 * by the runner (a SIGKILL from outside, the OOM killer) is treated as a lost host (a spot reclaim) and
 * retried, as Batch's retry strategy retries host terminations; a non-zero exit is an application error
 * and final. Like Batch, terminal events carry every attempt's start and stop time (measured here), from
 * which the status handler bills the run.
 */

export interface LocalBatchRunnerOptions {
  /** The trainer entrypoint and its arguments, e.g. `[process.execPath, '--import', 'tsx', 'containers/trainer/main.ts']`. */
  readonly command: readonly string[];
  /** The environment every run gets (table, bucket, local endpoints), beside the job's own variables. */
  readonly env: Readonly<Record<string, string>>;
  /** Runs at once per queue; 1 on these 2-core machines. */
  readonly concurrency?: Readonly<Partial<Record<QueueKind, number>>>;
  /** Between SIGTERM and SIGKILL on cancel: Batch's stop timeout, for the trainer's last checkpoint. */
  readonly graceMs?: number;
  readonly maxAttempts?: number;
  /** Where the state-change events go: the status handler. Called one at a time, in order. */
  readonly onEvent: (event: BatchStateChangeEvent) => Promise<unknown>;
  /** A delivery that failed (the handler threw); the runner keeps going. */
  readonly onEventError?: (error: unknown, event: BatchStateChangeEvent) => void;
  /**
   * Where unfinished jobs' attempts are kept across restarts, so a resumed job's terminal event carries
   * the runs before the restart too (and is billed for them). Without one, only this runner's runs count.
   */
  readonly journal?: Pick<AttemptJournal, 'read' | 'write'>;
  /** How often a running attempt's "last seen alive" is written to the journal. @default 15_000 */
  readonly heartbeatMs?: number;
}

interface LocalJob {
  readonly batchJobId: string;
  readonly job: Pick<JobRecord, 'id' | 'team'>;
  readonly queue: QueueKind;
  attempt: number;
  /** Start and stop (epoch ms) of each attempt that ran, as Batch's `attempts`. */
  readonly attempts: { startedAt: number; stoppedAt?: number }[];
  child?: ChildProcess;
  stopReason?: string;
  killTimer?: NodeJS.Timeout;
  /** Stopped because the runner shut down: left unfinished for `resume`, not reported. */
  abandoned?: boolean;
}

export const DEFAULT_GRACE_MS = 10_000;
export const DEFAULT_HEARTBEAT_MS = 15_000;
export const LOST_HOST_REASON = 'Host EC2 (local runner) terminated.';

export class LocalBatchRunner implements JobDispatcher {
  private readonly queues: Record<QueueKind, LocalJob[]> = { gpu: [], cpu: [] };
  private readonly running = new Map<string, LocalJob>();
  private delivery: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly heartbeat: NodeJS.Timeout | undefined;

  constructor(private readonly options: LocalBatchRunnerOptions) {
    if (options.journal) {
      this.heartbeat = setInterval(() => {
        for (const local of this.running.values()) this.remember(local);
      }, options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
      this.heartbeat.unref();
    }
  }

  /** Writes the job's attempts to the journal, a run still going as seen alive now. */
  private remember(local: LocalJob): void {
    const now = Date.now();
    const attempts: RunAttempt[] = local.attempts.map((a) => ({
      startedAt: a.startedAt,
      stoppedAt: a.stoppedAt ?? now,
    }));
    this.options.journal?.write(local.batchJobId, attempts);
  }

  async submit(job: JobRecord, plan: DispatchPlan): Promise<{ batchJobId: string }> {
    const local = this.enqueue(job, plan.queue, `local-${randomUUID()}`, 'SUBMITTED');
    return { batchJobId: local.batchJobId };
  }

  /**
   * After a restart: every unfinished job (JobRepository.listActive) goes back in its queue under its own
   * Batch job id, as a Batch retry would run it again; the trainer resumes from its last checkpoint. A job
   * that never reached the runner (created, then the process died) is submitted now.
   */
  resume(jobs: readonly JobRecord[]): void {
    for (const job of jobs) {
      if (job.status === 'succeeded' || job.status === 'failed' || job.status === 'cancelled') continue;
      const queue = job.queue ?? 'cpu';
      if (job.batchJobId) this.enqueue(job, queue, job.batchJobId, 'RUNNABLE');
      else this.enqueue(job, queue, `local-${randomUUID()}`, 'SUBMITTED');
    }
  }

  private enqueue(job: JobRecord, queue: QueueKind, batchJobId: string, first: BatchJobStatus): LocalJob {
    if (this.closed) throw new Error('the local batch runner is shut down');
    const local: LocalJob = {
      batchJobId,
      job: { id: job.id, team: job.team },
      queue,
      attempt: 0,
      attempts: this.options.journal?.read(batchJobId) ?? [],
    };
    this.emit(local, first);
    if (first === 'SUBMITTED') this.emit(local, 'RUNNABLE');
    this.queues[queue].push(local);
    this.pump(queue);
    return local;
  }

  /** A waiting job leaves its queue (FAILED, like Batch's CancelJob); a running one gets SIGTERM, then SIGKILL. */
  async cancel(target: DispatchedJob, reason: string): Promise<void> {
    for (const queue of Object.values(this.queues)) {
      const at = queue.findIndex((j) => j.batchJobId === target.batchJobId);
      if (at < 0) continue;
      const [waiting] = queue.splice(at, 1);
      if (waiting) {
        this.options.journal?.write(waiting.batchJobId, undefined);
        this.emit(waiting, 'FAILED', { statusReason: reason, attempts: waiting.attempts });
      }
      return;
    }
    const local = this.running.get(target.batchJobId);
    if (local) this.stop(local, reason);
  }

  /**
   * Every event emitted so far has been handled, runs or not: after `resume`, the resumed jobs' Batch job
   * ids are in the table, so the API (which fails a job left undispatched too long) never sees them bare.
   */
  async delivered(): Promise<void> {
    for (;;) {
      const pending = this.delivery;
      await pending;
      if (pending === this.delivery) return;
    }
  }

  /** Every event delivered so far has been handled and no run is left (tests, shutdown). */
  async idle(): Promise<void> {
    for (;;) {
      const pending = this.delivery;
      await pending;
      if (pending === this.delivery && this.running.size === 0) return;
      if (pending === this.delivery) await new Promise((r) => setTimeout(r, 10));
    }
  }

  /**
   * Shuts the runner down with the embedded stack: every run gets SIGTERM (the trainer checkpoints), then
   * SIGKILL after the grace period, and no more jobs start. No state change is reported for those runs:
   * they stay unfinished in the table, like jobs on a lost host, and `resume` runs them again at the next
   * start from their last checkpoint.
   */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    for (const queue of Object.values(this.queues)) queue.splice(0);
    const exits = [...this.running.values()].map(
      (local) => new Promise<void>((resolve) => local.child?.once('exit', () => resolve())),
    );
    for (const local of this.running.values()) {
      local.abandoned = true;
      local.child?.kill('SIGTERM');
      local.killTimer = setTimeout(
        () => local.child?.kill('SIGKILL'),
        this.options.graceMs ?? DEFAULT_GRACE_MS,
      );
    }
    await Promise.all(exits);
    await this.delivery;
  }

  private stop(local: LocalJob, reason: string): void {
    local.stopReason = reason;
    local.child?.kill('SIGTERM');
    local.killTimer = setTimeout(
      () => local.child?.kill('SIGKILL'),
      this.options.graceMs ?? DEFAULT_GRACE_MS,
    );
  }

  private pump(queue: QueueKind): void {
    const limit = this.options.concurrency?.[queue] ?? 1;
    const busy = () => [...this.running.values()].filter((j) => j.queue === queue).length;
    while (!this.closed && busy() < limit) {
      const next = this.queues[queue].shift();
      if (!next) return;
      this.start(next);
    }
  }

  private start(local: LocalJob): void {
    local.attempt += 1;
    local.stopReason = undefined;
    this.running.set(local.batchJobId, local);
    this.emit(local, 'STARTING');
    const [command, ...args] = this.options.command;
    if (!command) throw new Error('the local batch runner needs a command');
    const child = spawn(command, args, {
      env: {
        ...process.env,
        ...this.options.env,
        ATTUNE_JOB_ID: local.job.id,
        ATTUNE_TEAM: local.job.team,
        AWS_BATCH_JOB_ID: local.batchJobId,
        AWS_BATCH_JOB_ATTEMPT: String(local.attempt),
        AWS_BATCH_JQ_NAME: `attune-${local.queue}`,
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    local.child = child;
    child.once('spawn', () => {
      local.attempts.push({ startedAt: Date.now() });
      this.remember(local);
      this.emit(local, 'RUNNING');
    });
    child.once('error', (error) =>
      this.finish(local, null, null, `could not start the trainer: ${error.message}`),
    );
    child.once('exit', (code, signal) => this.finish(local, code, signal));
  }

  private finish(
    local: LocalJob,
    code: number | null,
    signal: NodeJS.Signals | null,
    startError?: string,
  ): void {
    if (!this.running.has(local.batchJobId)) return;
    this.running.delete(local.batchJobId);
    clearTimeout(local.killTimer);
    const last = local.attempts[local.attempts.length - 1];
    if (last && last.stoppedAt === undefined) last.stoppedAt = Date.now();
    if (local.abandoned) {
      this.remember(local);
      return;
    }
    const attempts = local.attempts.map((a) => ({ ...a }));
    const container = {
      ...(code === null ? {} : { exitCode: code }),
      ...(signal ? { reason: `killed by ${signal}` } : {}),
    };
    if (local.stopReason !== undefined) {
      this.emit(local, 'FAILED', { statusReason: local.stopReason, container, attempts });
    } else if (startError) {
      this.emit(local, 'FAILED', { statusReason: startError, attempts });
    } else if (code === 0) {
      this.emit(local, 'SUCCEEDED', { container, attempts });
    } else if (
      signal !== null &&
      local.attempt < (this.options.maxAttempts ?? MAX_ATTEMPTS) &&
      !this.closed
    ) {
      this.remember(local);
      this.emit(local, 'RUNNABLE', { statusReason: LOST_HOST_REASON, attempts });
      this.queues[local.queue].unshift(local);
      this.pump(local.queue);
      return;
    } else {
      const statusReason = signal !== null ? LOST_HOST_REASON : 'Essential container in task exited';
      this.emit(local, 'FAILED', { statusReason, container, attempts });
    }
    this.options.journal?.write(local.batchJobId, undefined);
    this.pump(local.queue);
  }

  private emit(local: LocalJob, status: BatchJobStatus, extra: Partial<BatchJobStateDetail> = {}): void {
    const event: BatchStateChangeEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': BATCH_STATE_CHANGE,
      source: 'aws.batch',
      account: '000000000000',
      time: new Date().toISOString(),
      region: 'local',
      resources: [],
      detail: {
        jobId: local.batchJobId,
        jobName: `attune-${local.job.id}`,
        status,
        parameters: { [JOB_PARAMETER]: local.job.id, [TEAM_PARAMETER]: local.job.team },
        tags: { [TEAM_TAG]: local.job.team, [JOB_TAG]: local.job.id },
        ...extra,
      },
    };
    this.delivery = this.delivery.then(async () => {
      try {
        await this.options.onEvent(event);
      } catch (error) {
        this.options.onEventError?.(error, event);
      }
    });
  }
}

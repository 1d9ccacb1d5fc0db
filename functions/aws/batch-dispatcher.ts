import {
  BatchClient,
  CancelJobCommand,
  type KeyValuePair,
  type ResourceRequirement,
  type RetryStrategy,
  SubmitJobCommand,
  type SubmitJobCommandInput,
  TerminateJobCommand,
} from '@aws-sdk/client-batch';
import { z } from 'zod';
import { ConfigError } from '#core/errors.ts';
import type { DispatchedJob, DispatchPlan, JobDispatcher } from '#core/jobs/dispatch.ts';
import type { JobRecord, QueueKind } from '#core/jobs/job.ts';

/**
 * The AWS Batch side of job dispatch: one `SubmitJob` per job on the queue its plan chose, with the
 * resources and timeout of its estimate, tags and parameters that carry the Attune job and team (the
 * status handler reads them back from Batch's state-change events), and a retry strategy that retries
 * only host terminations (spot reclaims), never the trainer's own failures.
 */

export interface BatchDispatcherOptions {
  /** Job queue (name or ARN) per queue kind. */
  readonly queues: Readonly<Record<QueueKind, string>>;
  /** Job definition (name, name:revision or ARN) per queue kind: the GPU and CPU trainer images. */
  readonly jobDefinitions: Readonly<Record<QueueKind, string>>;
  readonly tableName: string;
  readonly bucketName: string;
}

/** Batch's status reason when the instance under a job went away, e.g. "Host EC2 (instance i-0…) terminated." */
export const HOST_TERMINATED_REASON = 'Host EC2*';
export const MAX_ATTEMPTS = 3;

/** Three attempts, but only a lost host earns a retry: an application error exits at once. */
export const RETRY_STRATEGY: RetryStrategy = {
  attempts: MAX_ATTEMPTS,
  evaluateOnExit: [
    { onStatusReason: HOST_TERMINATED_REASON, action: 'RETRY' },
    { onReason: '*', action: 'EXIT' },
  ],
};

/** Tag and parameter names that carry the Attune identity of a Batch job. */
export const TEAM_TAG = 'attune:team';
export const JOB_TAG = 'attune:job';
export const TEAM_PARAMETER = 'attuneTeam';
export const JOB_PARAMETER = 'attuneJobId';

function resources(plan: DispatchPlan): ResourceRequirement[] {
  const required: ResourceRequirement[] = [
    { type: 'VCPU', value: String(plan.vcpus) },
    { type: 'MEMORY', value: String(plan.memoryMiB) },
  ];
  if (plan.gpus > 0) required.push({ type: 'GPU', value: String(plan.gpus) });
  return required;
}

export class BatchDispatcher implements JobDispatcher {
  constructor(
    private readonly batch: BatchClient,
    private readonly options: BatchDispatcherOptions,
  ) {}

  /** The exact SubmitJob request for a job and its plan. */
  submitRequest(job: JobRecord, plan: DispatchPlan): SubmitJobCommandInput {
    const environment: KeyValuePair[] = [
      { name: 'ATTUNE_JOB_ID', value: job.id },
      { name: 'ATTUNE_TEAM', value: job.team },
      { name: 'TABLE_NAME', value: this.options.tableName },
      { name: 'BUCKET_NAME', value: this.options.bucketName },
    ];
    return {
      jobName: `attune-${job.id}`,
      jobQueue: this.options.queues[plan.queue],
      jobDefinition: this.options.jobDefinitions[plan.queue],
      parameters: { [JOB_PARAMETER]: job.id, [TEAM_PARAMETER]: job.team },
      containerOverrides: { environment, resourceRequirements: resources(plan) },
      retryStrategy: RETRY_STRATEGY,
      timeout: { attemptDurationSeconds: plan.timeoutSeconds },
      tags: { [TEAM_TAG]: job.team, [JOB_TAG]: job.id },
      propagateTags: true,
    };
  }

  async submit(job: JobRecord, plan: DispatchPlan): Promise<{ batchJobId: string }> {
    const out = await this.batch.send(new SubmitJobCommand(this.submitRequest(job, plan)));
    if (!out.jobId) throw new Error(`AWS Batch accepted job ${job.id} but returned no job id`);
    return { batchJobId: out.jobId };
  }

  /**
   * `CancelJob` while the job waits in its queue, `TerminateJob` once it runs. A job that started between
   * our read and the call is not stopped by CancelJob; its RUNNING event then finds the Attune job
   * cancelled and the status handler terminates it.
   */
  async cancel(job: DispatchedJob, reason: string): Promise<void> {
    const input = { jobId: job.batchJobId, reason };
    if (job.status === 'running') await this.batch.send(new TerminateJobCommand(input));
    else await this.batch.send(new CancelJobCommand(input));
  }
}

const BatchEnvSchema = z.object({
  ATTUNE_GPU_JOB_QUEUE: z.string().min(1),
  ATTUNE_CPU_JOB_QUEUE: z.string().min(1),
  ATTUNE_GPU_JOB_DEFINITION: z.string().min(1),
  ATTUNE_CPU_JOB_DEFINITION: z.string().min(1),
});

/**
 * Reads the queues and job definitions the CDK training construct sets on the API and status Lambdas.
 * A missing one fails the cold start with a ConfigError naming it.
 */
export function batchDispatcherOptionsFromEnv(
  env: NodeJS.ProcessEnv,
  storage: { tableName: string; bucketName: string },
): BatchDispatcherOptions {
  const parsed = BatchEnvSchema.safeParse(env);
  if (!parsed.success) {
    const names = parsed.error.issues.map((i) => i.path.join('.')).join(', ');
    throw new ConfigError(`Missing AWS Batch configuration: ${names}`, { cause: parsed.error });
  }
  const e = parsed.data;
  return {
    queues: { gpu: e.ATTUNE_GPU_JOB_QUEUE, cpu: e.ATTUNE_CPU_JOB_QUEUE },
    jobDefinitions: { gpu: e.ATTUNE_GPU_JOB_DEFINITION, cpu: e.ATTUNE_CPU_JOB_DEFINITION },
    ...storage,
  };
}

/**
 * The process's Batch dispatcher when the training construct configured queues (in AWS), or undefined
 * when none of its variables is set (the embedded stack, whose local runner is a dispatcher of its own).
 * Some but not all of them set is a ConfigError: a half-configured deployment must not start.
 */
export function batchDispatcherFromEnv(
  env: NodeJS.ProcessEnv,
  config: BatchSite,
): BatchDispatcher | undefined {
  if (Object.keys(BatchEnvSchema.shape).every((name) => env[name] === undefined)) return undefined;
  return requiredBatchDispatcherFromEnv(env, config);
}

/** Where a dispatcher submits: the region of its Batch client, and the table and bucket its jobs use. */
export interface BatchSite {
  readonly region: string;
  readonly tableName: string;
  readonly bucketName: string;
}

/**
 * The Batch dispatcher of an entry point that cannot work without one (the status Lambda, which cancels
 * runs): every variable must be set, else a ConfigError names the missing ones.
 */
export function requiredBatchDispatcherFromEnv(env: NodeJS.ProcessEnv, config: BatchSite): BatchDispatcher {
  const options = batchDispatcherOptionsFromEnv(env, {
    tableName: config.tableName,
    bucketName: config.bucketName,
  });
  return new BatchDispatcher(new BatchClient({ region: config.region }), options);
}

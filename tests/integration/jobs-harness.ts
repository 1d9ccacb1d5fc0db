import { getClients } from '#aws/clients.ts';
import { getConfig } from '#aws/config.ts';
import { JobRepository } from '#aws/job-repository.ts';
import { ModelRepository } from '#aws/model-repository.ts';
import type { DispatchedJob, DispatchPlan, JobDispatcher } from '#core/jobs/dispatch.ts';
import type { JobRecord } from '#core/jobs/job.ts';

/**
 * A dispatcher that records what it was asked to do instead of calling AWS Batch: a test double of
 * Attune's own `JobDispatcher` interface (the AWS implementation has its own unit tests against the SDK).
 * `failNext` makes the next submit throw, as a refused SubmitJob would.
 */
export class RecordingDispatcher implements JobDispatcher {
  readonly submitted: { job: JobRecord; plan: DispatchPlan; batchJobId: string }[] = [];
  readonly cancelled: { job: DispatchedJob; reason: string }[] = [];
  private failure: Error | undefined;
  private counter = 0;

  failNext(error: Error): void {
    this.failure = error;
  }

  async submit(job: JobRecord, plan: DispatchPlan): Promise<{ batchJobId: string }> {
    if (this.failure) {
      const error = this.failure;
      this.failure = undefined;
      throw error;
    }
    const batchJobId = `batch-${job.id}-${++this.counter}`;
    this.submitted.push({ job, plan, batchJobId });
    return { batchJobId };
  }

  async cancel(job: DispatchedJob, reason: string): Promise<void> {
    this.cancelled.push({ job, reason });
  }
}

/** The job and model repositories over the DynamoDB Local that tests/global-setup.ts started. */
export function jobStores() {
  const config = getConfig();
  const { dynamo } = getClients(config);
  return {
    jobs: new JobRepository(dynamo, config.tableName),
    models: new ModelRepository(dynamo, config.tableName),
  };
}

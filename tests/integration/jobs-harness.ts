import { JobRepository } from '#aws/job-repository.ts';
import { ModelRepository } from '#aws/model-repository.ts';
import { type FileRecord, fileObjectKey } from '#core/files.ts';
import { newId } from '#core/ids.ts';
import type { DispatchedJob, DispatchPlan, JobDispatcher } from '#core/jobs/dispatch.ts';
import type { JobRecord } from '#core/jobs/job.ts';
import { createApp } from '#http/app.ts';
import { createHarness } from '#tests/integration/http-harness.ts';
import { testClients, testConfig } from '#tests/test-clients.ts';

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
  const config = testConfig();
  const { dynamo } = testClients();
  return {
    jobs: new JobRepository(dynamo, config.tableName),
    models: new ModelRepository(dynamo, config.tableName),
  };
}

/**
 * The API app over the real repositories (tests/integration/http-harness.ts) with a recording dispatcher,
 * and helpers that put a team's files and models in the states a test needs.
 */
export function createJobsHarness() {
  const h = createHarness();
  const dispatcher = new RecordingDispatcher();
  const stores = jobStores();
  const app = createApp({ ...h.deps, dispatcher });
  return {
    ...h,
    app,
    dispatcher,
    stores,
    /** A file of the team as ingestion leaves it (`processed` with its report, unless overridden). */
    async file(team: string, overrides: Partial<FileRecord> = {}): Promise<string> {
      const id = newId('file');
      await h.deps.files.create({
        team,
        id,
        filename: 'train.jsonl',
        purpose: 'fine-tune',
        bytes: 4096,
        createdAt: Math.floor(Date.now() / 1000),
        status: 'processed',
        statusDetails: null,
        objectKey: fileObjectKey(team, id),
        report: {
          format: 'chat',
          examples: 200,
          tokens: { min: 10, max: 80, mean: 40, p95: 70, total: 8000 },
          duplicates: 0,
          errors: [],
          tokenizer: 'attune-tiny',
        },
        ...overrides,
      });
      return id;
    },
    /** A tuned model of the team, as a succeeded job registers it. */
    async model(team: string, kind: 'ft' | 'pt', attachesTo: string | null = null): Promise<string> {
      const jobId = newId('ftjob');
      const id = `${kind}:attune-tiny:${team}::${jobId.slice(6)}`;
      await stores.models.put({
        team,
        id,
        kind,
        baseModel: 'attune-tiny',
        attachesTo: kind === 'pt' ? (attachesTo ?? 'attune-tiny') : null,
        jobId,
        createdAt: Math.floor(Date.now() / 1000),
        artifactPrefix: `teams/${team}/models/${jobId}/`,
      });
      return id;
    },
    post(path: string, auth: { authorization: string }, body: unknown, headers: Record<string, string> = {}) {
      return app.request(path, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
    },
    get(path: string, auth: { authorization: string }) {
      return app.request(path, { headers: auth });
    },
  };
}

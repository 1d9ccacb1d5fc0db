import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AttemptJournal } from '#local/attempt-journal.ts';
import type { LocalBatchRunner } from '#local/batch-runner.ts';

/** The trainer entrypoint the Batch job definitions run, resolved from this file so any cwd works. */
const TRAINER_ENTRY = fileURLToPath(new URL('../../containers/trainer/main.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The embedded stack's AWS Batch: the local runner starts the same trainer entrypoint as a child process
 * with the container's environment, and its state-change events go to the same status handler that
 * EventBridge drives in AWS. Unfinished jobs from before a restart are queued again and resume from their
 * last checkpoint, as a Batch retry would; `dataDir` keeps their earlier attempts (`batch-attempts.json`),
 * so they are billed for those too. Loaded after the environment points at the embedded services.
 */
export async function startLocalTraining(
  environment: Record<string, string>,
  dataDir: string,
): Promise<LocalBatchRunner> {
  const { LocalBatchRunner } = await import('#local/batch-runner.ts');
  const { handleBatchStatusEvent } = await import('#events/batch-status.ts');
  const { getConfig } = await import('#aws/config.ts');
  const { getClients } = await import('#aws/clients.ts');
  const { JobRepository } = await import('#aws/job-repository.ts');
  const { ModelRepository } = await import('#aws/model-repository.ts');
  const { SpendRepository } = await import('#aws/spend-repository.ts');
  const { CalibrationRepository } = await import('#aws/calibration-repository.ts');
  const config = getConfig();
  const { dynamo } = getClients(config);
  const jobs = new JobRepository(dynamo, config.tableName);
  const models = new ModelRepository(dynamo, config.tableName);
  const spend = new SpendRepository(dynamo, config.tableName);
  const calibration = new CalibrationRepository(dynamo, config.tableName);
  const runner: LocalBatchRunner = new LocalBatchRunner({
    command: [process.execPath, '--import', 'tsx', TRAINER_ENTRY],
    env: { ...environment, ATTUNE_BASE_MODELS_ROOT: REPO_ROOT },
    journal: new AttemptJournal(join(dataDir, 'batch-attempts.json')),
    onEvent: (event) =>
      handleBatchStatusEvent({ jobs, models, spend, calibration, dispatcher: runner }, event),
    onEventError: (error, event) =>
      console.error(
        JSON.stringify({
          level: 'ERROR',
          message: 'job status update failed',
          batchJobId: event.detail?.jobId,
          error: String(error),
        }),
      ),
  });
  runner.resume(await jobs.listActive());
  await runner.delivered();
  return runner;
}

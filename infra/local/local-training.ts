import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AwsClients } from '#aws/clients.ts';
import type { AttuneConfig } from '#aws/config.ts';
import { createLifecycleDeps, handleBatchStatusEvent } from '#events/batch-status-event.ts';
import { AttemptJournal } from '#local/attempt-journal.ts';
import { LocalBatchRunner } from '#local/batch-runner.ts';

/** The trainer entrypoint the Batch job definitions run, resolved from this file so any cwd works. */
const TRAINER_ENTRY = fileURLToPath(new URL('../../containers/trainer/main.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface LocalTrainingOptions {
  /** The trainer container's environment contract: table, bucket and the loopback endpoints. */
  readonly environment: Readonly<Record<string, string>>;
  readonly config: AttuneConfig;
  readonly clients: AwsClients;
  /** Where the runner keeps unfinished jobs' earlier attempts (`batch-attempts.json`). */
  readonly dataDir: string;
}

/**
 * The embedded stack's AWS Batch: the local runner starts the same trainer entrypoint as a child process
 * with the container's environment, and its state-change events go to the same status handler that
 * EventBridge drives in AWS. Unfinished jobs from before a restart are queued again and resume from their
 * last checkpoint, as a Batch retry would; `dataDir` keeps their earlier attempts, so they are billed for
 * those too.
 */
export async function startLocalTraining(options: LocalTrainingOptions): Promise<LocalBatchRunner> {
  const runner: LocalBatchRunner = new LocalBatchRunner({
    command: [process.execPath, '--import', 'tsx', TRAINER_ENTRY],
    env: { ...options.environment, ATTUNE_BASE_MODELS_ROOT: REPO_ROOT },
    journal: new AttemptJournal(join(options.dataDir, 'batch-attempts.json')),
    onEvent: (event) => handleBatchStatusEvent(lifecycle, event),
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
  const lifecycle = createLifecycleDeps(options.config, options.clients, runner);
  runner.resume(await lifecycle.jobs.listActive());
  await runner.delivered();
  return runner;
}

import { createClients } from '#aws/clients.ts';
import { parseConfig } from '#aws/config.ts';
import { createStores } from '#aws/stores.ts';
import { initBackend } from '#model/backend.ts';
import { parseTrainerEnv } from '#trainer/env.ts';
import { createTrainerLogger, lineLog } from '#trainer/logger.ts';
import { runJob } from '#trainer/run-job.ts';

/**
 * The AWS Batch entrypoint (and the local runner's child process): trains one job and exits.
 * Exit codes: 0 only once the artifact is in the bucket; {@link EXIT_INTERRUPTED} after a SIGTERM
 * (checkpoint written, so Batch's retry resumes); 1 for any failure. Logs are the Powertools Logger's JSON
 * lines on stderr, each with an `event` key (`start`, `metrics`, `checkpoint`, `done`, …).
 * This is the trainer's composition root: the one place that reads the environment and builds clients.
 *
 * By hand against the embedded stack (its table, bucket and loopback endpoints, as `npm start` prints):
 *   TABLE_NAME=… BUCKET_NAME=… ATTUNE_DYNAMODB_ENDPOINT=http://127.0.0.1:… ATTUNE_S3_ENDPOINT=http://127.0.0.1:… \
 *   ATTUNE_TEAM=<team> ATTUNE_JOB_ID=ftjob-… node --import tsx containers/trainer/main.ts
 * Trainer variables: see containers/trainer/env.ts.
 */

/** 128 + SIGTERM, what a shell reports for a process ended by SIGTERM. */
export const EXIT_INTERRUPTED = 143;

const logger = createTrainerLogger();

async function main(): Promise<number> {
  const env = parseTrainerEnv(process.env);
  const config = parseConfig(process.env);
  const stores = createStores(config, createClients(config));
  const controller = new AbortController();
  process.once('SIGTERM', () => {
    logger.warn('stopping after the current step to checkpoint', { event: 'sigterm' });
    controller.abort();
  });
  const backend = await initBackend({ log: lineLog(logger) });
  logger.info(`Training job ${env.jobId} (attempt ${env.attempt}) on ${backend}`, {
    event: 'start',
    job: env.jobId,
    team: env.team,
    attempt: env.attempt,
    backend,
  });
  const outcome = await runJob({
    env,
    jobs: stores.jobs,
    models: stores.models,
    files: stores.files,
    store: stores.objects,
    signal: controller.signal,
    logger,
    backend,
  });
  if (outcome.status === 'interrupted') {
    logger.warn(`Interrupted after step ${outcome.step}; the checkpoint lets a retry resume`, {
      event: 'interrupted',
      step: outcome.step,
    });
    return EXIT_INTERRUPTED;
  }
  logger.info(`Training done: artifact under ${outcome.artifactPrefix}`, {
    event: 'done',
    steps_this_run: outcome.stepsThisRun,
    resumed_at_step: outcome.resumedAtStep,
    trained_tokens: outcome.trainedTokens,
    artifact: outcome.artifactPrefix,
    files: outcome.files,
  });
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const e = error instanceof Error ? error : undefined;
    logger.error(e?.message ?? String(error), { event: 'failed', error: e?.name });
    process.exit(1);
  },
);

import { ConfigError } from '#core/errors.ts';

/**
 * Where Attune's own trainer runs, which decides what an estimate's time is made of:
 * - `aws_batch`: the Batch queues, native TF.js (tfjs-node, tfjs-node-gpu) on the plan's instance, after
 *   a compute environment scales from zero and pulls the image;
 * - `embedded`: the embedded stack's local runner, TF.js wasm in a child process on the machine that runs
 *   `npm start`, whatever instance the plan names; it starts in seconds, and its speed is that machine's.
 */
export type TrainerSite = 'aws_batch' | 'embedded';

const SITES: readonly TrainerSite[] = ['aws_batch', 'embedded'];

/**
 * `ATTUNE_TRAINER_SITE`, or where the process evidently runs: local service endpoints mean the embedded
 * stack (whose local runner is its only trainer); otherwise AWS Batch.
 */
export function trainerSiteFromEnv(env: NodeJS.ProcessEnv): TrainerSite {
  const value = env.ATTUNE_TRAINER_SITE;
  if (value !== undefined && value !== '') {
    if (!SITES.includes(value as TrainerSite)) {
      throw new ConfigError(
        `Invalid configuration: ATTUNE_TRAINER_SITE must be one of ${SITES.join(', ')}, got '${value.slice(0, 40)}'`,
      );
    }
    return value as TrainerSite;
  }
  return env.ATTUNE_DYNAMODB_ENDPOINT || env.ATTUNE_S3_ENDPOINT ? 'embedded' : 'aws_batch';
}

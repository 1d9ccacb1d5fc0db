import { Logger, type LogItem } from '@aws-lambda-powertools/logger';
import type { ConstructorOptions } from '@aws-lambda-powertools/logger/types';

/** The service name on every trainer log line, beside the Lambdas' `attune-*` names. */
export const TRAINER_SERVICE_NAME = 'attune-trainer';

/** What the trainer's modules log through: the Powertools Logger's levels, so a test can pass a fake. */
export type TrainerLog = Pick<Logger, 'info' | 'warn' | 'error'>;

/**
 * The Powertools Logger the Lambdas use, writing every level to stderr. Powertools prints `info` to
 * stdout; the trainer keeps all its JSON lines on one stream because its readers watch stderr: the
 * integration tests parse it (and SIGTERM a run on a `metrics` line), and stdout is left to the model
 * layer's CLI output. In AWS Batch both streams reach CloudWatch, so nothing is lost there.
 */
export class StderrLogger extends Logger {
  protected override printLog(_logLevel: number, log: LogItem): void {
    log.prepareForPrint();
    process.stderr.write(`${JSON.stringify(log.getAttributes(), this.getJsonReplacer())}\n`);
  }

  /** Children (`createChild`) print to stderr too. */
  protected override createLogger(options?: ConstructorOptions): Logger {
    return new StderrLogger(options);
  }
}

/** The trainer process's logger. */
export function createTrainerLogger(): StderrLogger {
  return new StderrLogger({ serviceName: TRAINER_SERVICE_NAME });
}

/**
 * Adapts the logger to the model layer's line log (`initBackend`, `trainModel`), which speaks plain lines
 * because its CLI prints them: a JSON object line (`{"event": "hyperparameters", …}`) is logged with its
 * keys kept as keys, so they stay queryable; any other line becomes the message.
 */
export function lineLog(logger: TrainerLog): (line: string) => void {
  return (line) => {
    const record = jsonObject(line);
    if (record) logger.info(typeof record.event === 'string' ? record.event : 'model', record);
    else logger.info(line);
  };
}

function jsonObject(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The dispatch sweep Lambda: on a schedule, fails jobs whose create request died before dispatching them
 * (see sweepInterruptedDispatches). The embedded stack needs none: its runner dispatches such jobs when it
 * resumes.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { getClients } from '#aws/clients.ts';
import { getConfig } from '#aws/config.ts';
import { JobRepository } from '#aws/job-repository.ts';
import { SpendRepository } from '#aws/spend-repository.ts';
import {
  type DispatchSweepDeps,
  type DispatchSweepReport,
  sweepInterruptedDispatches,
} from '#core/jobs/dispatch-sweep.ts';

const logger = new Logger({ serviceName: 'attune-dispatch-sweep' });
let dependencies: DispatchSweepDeps | undefined;

function processDeps(): DispatchSweepDeps {
  if (dependencies) return dependencies;
  const config = getConfig();
  const { dynamo } = getClients(config);
  dependencies = {
    jobs: new JobRepository(dynamo, config.tableName),
    spend: new SpendRepository(dynamo, config.tableName),
  };
  return dependencies;
}

/** The Lambda entry. An infrastructure error rejects; the next scheduled run tries again. */
export async function handler(_event: ScheduledEvent, context?: Context): Promise<DispatchSweepReport> {
  if (context) logger.addContext(context);
  const report = await sweepInterruptedDispatches(processDeps());
  logger.info('Dispatch sweep', { checked: report.checked, failed: report.failed });
  return report;
}

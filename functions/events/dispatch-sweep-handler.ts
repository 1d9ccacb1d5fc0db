/**
 * The dispatch sweep: on a schedule, fails jobs whose create request died before dispatching them (see
 * core/jobs/interrupted-dispatch.ts). The embedded stack needs none: its runner dispatches such jobs when
 * it resumes.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, ScheduledEvent } from 'aws-lambda';
import type { AwsClients } from '#aws/clients.ts';
import type { AttuneConfig } from '#aws/config.ts';
import { createStores } from '#aws/stores.ts';
import {
  type DispatchSweepDeps,
  type DispatchSweepReport,
  sweepInterruptedDispatches,
} from '#core/jobs/dispatch-sweep.ts';

/** The jobs and the spend ledger the sweep fails and refunds, over one set of clients. */
export function dispatchSweepDeps(config: AttuneConfig, clients: AwsClients): DispatchSweepDeps {
  const { jobs, spend } = createStores(config, clients);
  return { jobs, spend };
}

/** The sweep handler. An infrastructure error rejects; the next scheduled run tries again. */
export function createDispatchSweepHandler(deps: DispatchSweepDeps, logger: Logger) {
  return async (_event: ScheduledEvent, context?: Context): Promise<DispatchSweepReport> => {
    if (context) logger.addContext(context);
    const report = await sweepInterruptedDispatches(deps);
    logger.info('Dispatch sweep', { checked: report.checked, failed: report.failed });
    return report;
  };
}

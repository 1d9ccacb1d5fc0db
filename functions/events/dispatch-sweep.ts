import { Logger } from '@aws-lambda-powertools/logger';
import { createClients } from '#aws/clients.ts';
import { parseConfig } from '#aws/config.ts';
import { createDispatchSweepHandler, dispatchSweepDeps } from '#events/dispatch-sweep-handler.ts';

/**
 * The dispatch sweep Lambda's entry point and composition root: configuration parsed once per execution
 * environment, at init, and the handler of dispatch-sweep-handler.ts built over it.
 */
const config = parseConfig(process.env);

export const handler = createDispatchSweepHandler(
  dispatchSweepDeps(config, createClients(config)),
  new Logger({ serviceName: 'attune-dispatch-sweep' }),
);

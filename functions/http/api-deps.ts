import { Logger } from '@aws-lambda-powertools/logger';
import { batchDispatcherFromEnv } from '#aws/batch-dispatcher.ts';
import { type AwsClients, createClients } from '#aws/clients.ts';
import { type AttuneConfig, parseConfig } from '#aws/config.ts';
import { parsePriceListConfig, priceProviderFor } from '#aws/price-list.ts';
import { createStores } from '#aws/stores.ts';
import { type Clock, systemClock } from '#core/clock.ts';
import { budgetsFromEnv, type TeamBudgets } from '#core/estimate/budget.ts';
import { INSTANCE_CATALOG } from '#core/estimate/instance-catalog.ts';
import type { PriceProvider } from '#core/estimate/prices.ts';
import { type TrainerSite, trainerSiteFromEnv } from '#core/estimate/trainer-site.ts';
import type { JobDispatcher } from '#core/jobs/dispatch.ts';
import type { AppDeps } from '#http/context.ts';

/** The service name every API log line carries (Powertools' `service` key). */
export const API_SERVICE_NAME = 'attune-api';

/** What the API is built from beside its SDK clients: settings the entry point has already read. */
export interface ApiDepsOptions {
  readonly config: AttuneConfig;
  readonly clients: AwsClients;
  readonly budgets: TeamBudgets;
  /** Live on-demand prices, or the catalog's table alone. */
  readonly prices: PriceProvider;
  readonly trainer: TrainerSite;
  /** AWS Batch in AWS, the local runner in the embedded stack; absent, job creation answers 503. */
  readonly dispatcher?: JobDispatcher | undefined;
  readonly logger: Logger;
  readonly now?: Clock;
}

/**
 * Every dependency of the API over one set of SDK clients: the repositories of the one table and the
 * store of the one bucket. Builds objects only and makes no network call.
 */
export function createApiDeps(options: ApiDepsOptions): AppDeps {
  const { config } = options;
  return {
    ...createStores(config, options.clients),
    budgets: options.budgets,
    prices: options.prices,
    trainer: options.trainer,
    ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    limits: { maxUploadBytes: config.maxUploadBytes, uploadUrlTtlSeconds: config.uploadUrlTtlSeconds },
    now: options.now ?? systemClock,
    logger: options.logger,
  };
}

/**
 * The API Lambda's composition root: its environment parsed once, at start-up, so a missing or malformed
 * variable fails the cold start rather than a request; budgets from `ATTUNE_TEAM_BUDGETS`, live prices
 * where `ATTUNE_LIVE_PRICES` allows them (their cache lives as long as the container), AWS Batch from the
 * training construct's variables. The embedded stack calls it too, with the environment it describes
 * its loopback services by, its own clients and its local runner as the dispatcher.
 */
export function apiDepsFromEnv(
  env: NodeJS.ProcessEnv,
  given: { readonly clients?: AwsClients; readonly dispatcher?: JobDispatcher } = {},
): AppDeps {
  const config = parseConfig(env);
  return createApiDeps({
    config,
    clients: given.clients ?? createClients(config),
    budgets: budgetsFromEnv(env),
    prices: priceProviderFor(parsePriceListConfig(env), INSTANCE_CATALOG.region),
    trainer: trainerSiteFromEnv(env),
    dispatcher: given.dispatcher ?? batchDispatcherFromEnv(env, config),
    logger: new Logger({ serviceName: API_SERVICE_NAME }),
  });
}

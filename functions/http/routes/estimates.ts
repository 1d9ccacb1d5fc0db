import { Hono } from 'hono';
import { CalibrationRepository } from '#aws/calibration-repository.ts';
import { getClients } from '#aws/clients.ts';
import type { AttuneConfig } from '#aws/config.ts';
import { getPriceProvider } from '#aws/price-list.ts';
import { SpendRepository } from '#aws/spend-repository.ts';
import { budgetsFromEnv, type SpendLedger, type TeamBudgets } from '#core/estimate/budget.ts';
import { createEstimate } from '#core/estimate/estimate-service.ts';
import { INSTANCE_CATALOG } from '#core/estimate/instance-catalog.ts';
import type { PriceProvider } from '#core/estimate/prices.ts';
import { EstimateRequestSchema } from '#core/estimate/request-schema.ts';
import type { CalibrationStore } from '#core/estimate/throughput.ts';
import { type TrainerSite, trainerSiteFromEnv } from '#core/estimate/trainer-site.ts';
import { isWellFormedId } from '#core/ids.ts';
import type { AppDeps, AppEnv } from '#http/context.ts';
import { readJsonBody } from '#http/json-body.ts';

/** Where the estimates route reads measured throughput, budgets and the month's spend. */
export interface EstimateRouteOptions {
  readonly calibration: CalibrationStore;
  readonly budgets: TeamBudgets;
  readonly spend: SpendLedger;
  /** Live on-demand prices; the catalog's table when absent. */
  readonly prices?: PriceProvider;
  /** Where Attune's trainer runs: AWS Batch, or the embedded stack's local runner. */
  readonly trainer?: TrainerSite;
  readonly now?: () => Date;
}

/**
 * Measurements and spend in the table the rest of the API uses (DynamoDB in AWS, DynamoDB Local in the
 * embedded stack), through the process's one set of clients; budgets from the environment, read when the
 * app is built, so a malformed `ATTUNE_TEAM_BUDGETS` fails start-up rather than a request; prices from the
 * AWS Price List where `ATTUNE_LIVE_PRICES` allows it (on in AWS, off in the embedded stack), cached for
 * the process's life; the trainer's site from `ATTUNE_TRAINER_SITE` (by default the embedded stack's local
 * runner wherever local endpoints are set, else AWS Batch).
 */
export function defaultEstimateOptions(
  config: AttuneConfig,
  env: NodeJS.ProcessEnv = process.env,
): EstimateRouteOptions {
  const { dynamo } = getClients(config);
  return {
    calibration: new CalibrationRepository(dynamo, config.tableName),
    budgets: budgetsFromEnv(env),
    spend: new SpendRepository(dynamo, config.tableName),
    prices: getPriceProvider(INSTANCE_CATALOG.region, env),
    trainer: trainerSiteFromEnv(env),
  };
}

/**
 * `POST /v1/estimates`: what fine-tuning, prompt tuning and the hybrid path would cost the team, side by
 * side, with the recommendation. The body is validated at the boundary (a 400 names the field); the
 * team's files are looked up under its own partition, so another team's file is a 404.
 */
export function estimateRoutes(
  deps: AppDeps,
  options: EstimateRouteOptions = defaultEstimateOptions(deps.config),
): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.post('/estimates', async (c) => {
    const body = await readJsonBody(c.req.raw, EstimateRequestSchema);
    const estimate = await createEstimate(
      {
        ...options,
        getFile: async (team, id) => (isWellFormedId(id, 'file') ? deps.files.get(team, id) : undefined),
      },
      c.var.team,
      body,
    );
    return c.json(estimate, 200);
  });

  return routes;
}

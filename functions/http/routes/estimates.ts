import { Hono } from 'hono';
import {
  budgetsFromEnv,
  InMemorySpendLedger,
  type SpendLedger,
  type TeamBudgets,
} from '#core/estimate/budget.ts';
import { createEstimate } from '#core/estimate/estimate-service.ts';
import { EstimateRequestSchema } from '#core/estimate/request-schema.ts';
import { type CalibrationStore, InMemoryCalibrationStore } from '#core/estimate/throughput.ts';
import { isWellFormedId } from '#core/ids.ts';
import type { AppDeps, AppEnv } from '#http/context.ts';
import { readJsonBody } from '#http/json-body.ts';

/** Where the estimates route reads measured throughput, budgets and the month's spend. */
export interface EstimateRouteOptions {
  readonly calibration: CalibrationStore;
  readonly budgets: TeamBudgets;
  readonly spend: SpendLedger;
  readonly now?: () => Date;
}

/**
 * Until the jobs API records runs and spend in DynamoDB, measurements and spend live in the process
 * (empty at start: every estimate is datasheet-based and every team has its whole month). Budgets are
 * read from the environment when the app is built, so a malformed `ATTUNE_TEAM_BUDGETS` fails start-up.
 */
export function defaultEstimateOptions(env: NodeJS.ProcessEnv = process.env): EstimateRouteOptions {
  return {
    calibration: new InMemoryCalibrationStore(),
    budgets: budgetsFromEnv(env),
    spend: new InMemorySpendLedger(),
  };
}

/**
 * `POST /v1/estimates`: what fine-tuning, prompt tuning and the hybrid path would cost the team, side by
 * side, with the recommendation. The body is validated at the boundary (a 400 names the field); the
 * team's files are looked up under its own partition, so another team's file is a 404.
 */
export function estimateRoutes(
  deps: AppDeps,
  options: EstimateRouteOptions = defaultEstimateOptions(),
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

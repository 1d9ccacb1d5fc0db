import { Hono } from 'hono';
import { createEstimate } from '#core/estimate/estimate-service.ts';
import { EstimateRequestSchema } from '#core/estimate/request-schema.ts';
import { isWellFormedId } from '#core/ids.ts';
import type { AppDeps, AppEnv } from '#http/context.ts';
import { readJsonBody } from '#http/json-body.ts';

/** The estimator's dependencies out of the API's: the team's files by well-formed id, and the rest as given. */
export function estimateDepsOf(deps: AppDeps) {
  return {
    getFile: async (team: string, id: string) =>
      isWellFormedId(id, 'file') ? deps.files.get(team, id) : undefined,
    calibration: deps.calibration,
    budgets: deps.budgets,
    spend: deps.spend,
    trainer: deps.trainer,
    now: deps.now,
    ...(deps.prices ? { prices: deps.prices } : {}),
  };
}

/**
 * `POST /v1/estimates`: what fine-tuning, prompt tuning and the hybrid path would cost the team, side by
 * side, with the recommendation. The body is validated at the boundary (a 400 names the field); the
 * team's files are looked up under its own partition, so another team's file is a 404.
 */
export function estimateRoutes(deps: AppDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  const estimates = estimateDepsOf(deps);

  routes.post('/estimates', async (c) => {
    const body = await readJsonBody(c.req.raw, EstimateRequestSchema);
    return c.json(await createEstimate(estimates, c.var.team, body), 200);
  });

  return routes;
}

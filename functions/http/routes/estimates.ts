import { Hono } from 'hono';
import { createEstimate } from '#core/estimate/estimate-service.ts';
import { EstimateRequestSchema } from '#core/estimate/request-schema.ts';
import type { AppDeps, AppEnv } from '#http/context.ts';
import { estimateDepsOf } from '#http/estimate-deps.ts';
import { readJsonBody } from '#http/json-body.ts';

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

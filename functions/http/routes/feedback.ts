import { Hono } from 'hono';
import { z } from 'zod';
import { epochSeconds } from '#core/clock.ts';
import { giveFeedback, MAX_FEEDBACK_COMMENT_CHARS } from '#core/inference/feedback.ts';
import type { AppDeps, AppEnv } from '#http/context.ts';
import { readJsonBody } from '#http/json-body.ts';

/** `POST /v1/feedback`: a score in [-1, 1] (checked by the domain, which says so) and an optional note. */
const FeedbackBodySchema = z
  .object({
    completion_id: z.string().min(1).max(200),
    score: z.number(),
    comment: z.string().max(MAX_FEEDBACK_COMMENT_CHARS).nullable().optional(),
  })
  .strict();

/**
 * Feedback on a completion the team was served: recorded once (a second is 409), attributed to the model
 * that produced it and, when the request named an alias, counted for that variant.
 */
export function feedbackRoutes(deps: AppDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.post('/feedback', async (c) => {
    const body = await readJsonBody(c.req.raw, FeedbackBodySchema);
    const feedback = {
      score: body.score,
      comment: body.comment ?? null,
      createdAt: epochSeconds(deps.now),
    };
    return c.json(await giveFeedback(deps.completions, c.var.team, body.completion_id, feedback));
  });

  return routes;
}

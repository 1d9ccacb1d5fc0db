import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { accessLog } from '#http/access-log.ts';
import { authenticate } from '#http/auth.ts';
import type { AppDeps, AppEnv } from '#http/context.ts';
import { mapError, notFoundBody } from '#http/error-mapper.ts';
import { requestId } from '#http/request-id.ts';
import { aliasRoutes } from '#http/routes/aliases.ts';
import { estimateRoutes } from '#http/routes/estimates.ts';
import { feedbackRoutes } from '#http/routes/feedback.ts';
import { fileRoutes } from '#http/routes/files.ts';
import { fineTuningJobRoutes } from '#http/routes/fine-tuning-jobs.ts';
import { modelRoutes } from '#http/routes/models.ts';
import { uploadRoutes } from '#http/routes/uploads.ts';

export type { AppDeps } from '#http/context.ts';

/**
 * The whole Attune API as one Hono app. The Lambda (`hono/aws-lambda`), the embedded server
 * (`@hono/node-server`) and the tests (`app.request`) all serve this same app, so what is tested locally
 * is what API Gateway invokes.
 *
 * Order matters: the request id comes first so every later line and every answer (errors included)
 * carries it; the access log wraps everything after it; `/healthz` stays open; everything under `/v1`
 * needs a key.
 */
export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use(requestId());
  app.use(accessLog(deps.logger));

  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  app.use('/v1/*', authenticate(deps.keys));
  app.route('/v1', fileRoutes(deps));
  app.route('/v1', uploadRoutes(deps));
  app.route('/v1', estimateRoutes(deps));
  app.route('/v1', fineTuningJobRoutes(deps));
  app.route('/v1', modelRoutes(deps));
  app.route('/v1', aliasRoutes(deps));
  app.route('/v1', feedbackRoutes(deps));

  app.notFound((c) => c.json(notFoundBody(c.req.method, c.req.path), 404));

  app.onError((error, c) => {
    const mapped = mapError(error);
    if (mapped.unexpected) {
      deps.logger.error('unhandled error', { requestId: c.var.requestId, error });
    }
    return c.json(mapped.body, mapped.status as ContentfulStatusCode);
  });

  return app;
}

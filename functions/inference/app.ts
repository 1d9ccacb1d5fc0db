import type { Logger } from '@aws-lambda-powertools/logger';
import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ApiKeyStore } from '#core/api-keys.ts';
import { accessLog } from '#http/access-log.ts';
import { authenticate } from '#http/auth.ts';
import type { AppEnv } from '#http/context.ts';
import { mapError, notFoundBody } from '#http/error-mapper.ts';
import { requestId } from '#http/request-id.ts';
import type { CompletionService } from '#inference/completion-service.ts';
import { completionRoutes } from '#inference/routes.ts';

/** What the inference handler needs; built by deps-from-env.ts in the Lambda and the embedded stack. */
export interface InferenceDeps {
  readonly keys: Pick<ApiKeyStore, 'teamForKey'>;
  readonly logger: Logger;
  readonly service: CompletionService;
}

/**
 * The inference handler as a Hono app: `POST /v1/completions` and `POST /v1/chat/completions`, behind
 * the same request id, access log, bearer auth and OpenAI-shaped errors as the API.
 *
 * Deliberate sideways import: the middleware modules of functions/http/ (request-id, access-log, auth,
 * error-mapper, json-body) are shared with the API rather than copied, so both entry points answer and
 * log alike; nothing else of the API is imported.
 */
export function createInferenceApp(deps: InferenceDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use(requestId());
  app.use(accessLog(deps.logger));

  app.use('/v1/*', authenticate(deps.keys));
  app.route('/v1', completionRoutes(deps.service));

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

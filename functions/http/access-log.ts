import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '#http/context.ts';

/**
 * One structured JSON line per request, after the response is known. The request id and team are passed
 * on each line rather than appended to the shared logger, because the embedded server handles requests
 * concurrently and appended keys would leak from one request into another's lines.
 */
export function accessLog(logger: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    logger.info('request', {
      requestId: c.var.requestId,
      team: c.var.team ?? null,
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
    });
  };
}

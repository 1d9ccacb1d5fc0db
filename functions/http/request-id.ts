import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '#http/context.ts';

/**
 * Caller-supplied ids are echoed into logs and headers, so only a short, printable alphabet is trusted: it
 * admits UUIDs and API Gateway HTTP API ids, which are base64 (`JKJaXmPLvHcESHA=`).
 */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:+/=-]{1,128}$/;

/**
 * The request id, in order of authority: API Gateway's own `requestContext.requestId` (the id its access
 * logs carry, so a Lambda log line can be joined to them), then a well-formed `x-request-id` header from
 * the caller or a proxy, then a fresh UUID.
 */
export function resolveRequestId(bindings: unknown, header: string | undefined): string {
  const fromGateway = (bindings as { requestContext?: { requestId?: unknown } } | undefined)?.requestContext
    ?.requestId;
  if (typeof fromGateway === 'string' && SAFE_REQUEST_ID.test(fromGateway)) return fromGateway;
  if (header !== undefined && SAFE_REQUEST_ID.test(header)) return header;
  return randomUUID();
}

/** Sets `c.var.requestId` and echoes it in the `x-request-id` response header, errors included. */
export function requestId(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const id = resolveRequestId(c.env, c.req.header('x-request-id'));
    c.set('requestId', id);
    await next();
    c.res.headers.set('x-request-id', id);
  };
}

import type { FetchHandler } from '#local/http-server.ts';

/**
 * The embedded stack's API Gateway: the routes the CDK gives the inference Lambda go to the inference
 * handler, everything else (the `$default` route) to the API handler. Method and path must both match,
 * as an API Gateway route key (`POST /v1/completions`) does; a GET there reaches the API, which answers
 * its 404 like any unknown route.
 */

/** The inference Lambda's route keys. */
export const INFERENCE_ROUTES: readonly { readonly method: string; readonly path: string }[] = [
  { method: 'POST', path: '/v1/completions' },
  { method: 'POST', path: '/v1/chat/completions' },
];

/** Whether API Gateway would send this request to the inference Lambda. */
export function isInferenceRoute(method: string, pathname: string): boolean {
  return INFERENCE_ROUTES.some((route) => route.method === method && route.path === pathname);
}

/** One fetch handler that dispatches to the inference or the API handler by route. */
export function routeByApiGateway(handlers: { api: FetchHandler; inference: FetchHandler }): FetchHandler {
  return (request) =>
    isInferenceRoute(request.method, new URL(request.url).pathname)
      ? handlers.inference(request)
      : handlers.api(request);
}

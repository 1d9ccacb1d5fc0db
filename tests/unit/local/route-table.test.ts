import { describe, expect, it } from 'vitest';
import { INFERENCE_ROUTES, isInferenceRoute, routeByApiGateway } from '#local/route-table.ts';

const handler = (name: string) => () => new Response(name);
const route = routeByApiGateway({ api: handler('api'), inference: handler('inference') });

async function target(method: string, url: string): Promise<string> {
  return (await route(new Request(`http://127.0.0.1:8787${url}`, { method }))).text();
}

describe('routeByApiGateway', () => {
  it.each(INFERENCE_ROUTES.map((r) => [r.method, r.path]))(
    'given %s %s, then the inference handler answers',
    async (method, path) => {
      expect(await target(method, path)).toBe('inference');
    },
  );

  it('given a query string on an inference route, then it still goes to inference', async () => {
    expect(await target('POST', '/v1/completions?x=1')).toBe('inference');
  });

  it.each([
    ['GET', '/v1/completions'],
    ['POST', '/v1/completions/'],
    ['POST', '/v1/files'],
    ['GET', '/v1/models'],
    ['GET', '/healthz'],
    ['POST', '/v1/chat/completions/extra'],
  ])('given %s %s, then the API handler answers', async (method, path) => {
    expect(await target(method, path)).toBe('api');
  });

  it('given the route keys, then they are exactly the inference Lambda routes', () => {
    expect(isInferenceRoute('POST', '/v1/chat/completions')).toBe(true);
    expect(INFERENCE_ROUTES).toHaveLength(2);
  });
});

import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { LambdaEvent } from 'hono/aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import type { TextCompletion } from '#core/inference/completion-objects.ts';
import { handler } from '#inference/lambda.ts';
import { createHarness } from '#tests/integration/http-harness.ts';

/** The inference Lambda's entry point, invoked with the events API Gateway sends to its routes. */

const h = createHarness();
afterAll(() => h.cleanup());

function event(path: string, headers: Record<string, string>, body: unknown): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: `POST ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: {
      host: 'abc123.execute-api.us-east-1.amazonaws.com',
      'content-type': 'application/json',
      ...headers,
    },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method: 'POST', path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'vitest' },
      requestId: 'gw-inference-1',
      routeKey: `POST ${path}`,
      stage: '$default',
      time: '29/Nov/2026:07:00:00 +0000',
      timeEpoch: Date.now(),
    },
    isBase64Encoded: false,
    body: JSON.stringify(body),
  };
}

async function invoke(e: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  return (await handler(e as unknown as LambdaEvent)) as APIGatewayProxyStructuredResultV2;
}

describe('the inference Lambda handler', () => {
  it('given a completion event with a key, when invoked cold, then the backend starts and it answers', async () => {
    const { auth } = await h.team();
    const result = await invoke(
      event('/v1/completions', auth, {
        model: 'attune-tiny',
        prompt: 'The nation',
        max_tokens: 2,
        temperature: 0,
      }),
    );
    expect(result.statusCode).toBe(200);
    expect(result.headers?.['x-request-id']).toBe('gw-inference-1');
    const body = JSON.parse(result.body ?? '') as TextCompletion;
    expect(body.object).toBe('text_completion');
    expect(body.usage.completion_tokens).toBeGreaterThan(0);
  });

  it('given a chat event without a key, then 401 as OpenAI JSON', async () => {
    const result = await invoke(event('/v1/chat/completions', {}, { model: 'attune-tiny', messages: [] }));
    expect(result.statusCode).toBe(401);
    expect(JSON.parse(result.body ?? '').error.code).toBe('missing_api_key');
  });
});

import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { LambdaEvent } from 'hono/aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import type { OpenAIFile } from '#core/files.ts';
import { handler } from '#http/lambda.ts';
import { CHAT_LINE, createHarness, uploadForm } from '#tests/integration/http-harness.ts';

const h = createHarness();
afterEach(() => h.cleanup());

/** An HTTP API (payload 2.0) event as API Gateway sends it to the Lambda. */
function event(
  method: string,
  path: string,
  options: { query?: string; headers?: Record<string, string>; body?: Uint8Array; requestId?: string } = {},
): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: options.query ?? '',
    headers: { host: 'abc123.execute-api.us-east-1.amazonaws.com', ...options.headers },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'vitest' },
      requestId: options.requestId ?? 'JKJaXmPLvHcESHA=',
      routeKey: '$default',
      stage: '$default',
      time: '29/Nov/2026:07:00:00 +0000',
      timeEpoch: Date.now(),
    },
    isBase64Encoded: options.body !== undefined,
    ...(options.body ? { body: Buffer.from(options.body).toString('base64') } : {}),
  };
}

/** Hono types `body` as `string | null`; API Gateway leaves it out when there is none, as `event` does. */
async function invoke(e: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  return (await handler(e as unknown as LambdaEvent)) as APIGatewayProxyStructuredResultV2;
}

function bodyOf(result: APIGatewayProxyStructuredResultV2): string {
  const body = result.body ?? '';
  return result.isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
}

describe('the API Lambda handler', () => {
  it("Given an API Gateway event for /healthz, when invoked, then 200 carrying the gateway's request id", async () => {
    const result = await invoke(event('GET', '/healthz', { requestId: 'gw-health-1' }));
    expect(result.statusCode).toBe(200);
    expect(result.headers?.['x-request-id']).toBe('gw-health-1');
  });

  it('Given an event without a key, when invoked, then 401 as OpenAI JSON', async () => {
    const result = await invoke(event('GET', '/v1/files'));
    expect(result.statusCode).toBe(401);
    expect(JSON.parse(bodyOf(result)).error.code).toBe('missing_api_key');
  });

  it('Given a base64 multipart upload event, when invoked, then the file is stored and its content reads back', async () => {
    const { auth } = await h.team();
    const request = new Request('http://local/', { method: 'POST', body: uploadForm(CHAT_LINE) });
    const body = new Uint8Array(await request.arrayBuffer());
    const headers = { ...auth, 'content-type': request.headers.get('content-type') ?? '' };
    const created = await invoke(event('POST', '/v1/files', { headers, body }));
    expect(created.statusCode).toBe(200);
    const file = JSON.parse(bodyOf(created)) as OpenAIFile;

    const listed = await invoke(event('GET', '/v1/files', { headers: auth, query: 'limit=1' }));
    expect(JSON.parse(bodyOf(listed)).data[0].id).toBe(file.id);

    const content = await invoke(event('GET', `/v1/files/${file.id}/content`, { headers: auth }));
    expect(content.statusCode).toBe(200);
    expect(content.isBase64Encoded).toBe(true);
    expect(bodyOf(content)).toBe(CHAT_LINE);
  });
});

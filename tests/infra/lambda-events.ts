import type { APIGatewayProxyEventV2, Context, S3Event } from 'aws-lambda';

/**
 * Events exactly as AWS delivers them (shapes from the API Gateway and S3 documentation, every field
 * present), so the bundled handlers are exercised with what they will really receive.
 */

/** What a request carries beyond its method and path. */
export interface HttpApiRequest {
  /** The matched route, e.g. `POST /v1/completions`; API Gateway sends `$default` for the catch-all. */
  readonly routeKey?: string;
  /** Extra headers (lower-case names, as API Gateway delivers them). */
  readonly headers?: Record<string, string>;
  /** A text body (JSON), sent as is with `isBase64Encoded: false`. */
  readonly body?: string;
}

/** An HTTP API (payload format 2.0) request, as API Gateway sends it to the route that matched. */
export function httpApiEvent(
  method: string,
  path: string,
  request: HttpApiRequest = {},
): APIGatewayProxyEventV2 {
  const routeKey = request.routeKey ?? '$default';
  const body = request.body;
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: '',
    headers: {
      accept: '*/*',
      'content-length': String(body === undefined ? 0 : Buffer.byteLength(body)),
      host: 'r4nd0m1d.execute-api.eu-west-1.amazonaws.com',
      'user-agent': 'curl/8.5.0',
      'x-amzn-trace-id': 'Root=1-674969a8-0f3b5c2d1e9a8b7c6d5e4f3a',
      'x-forwarded-for': '203.0.113.10',
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
      ...request.headers,
    },
    requestContext: {
      accountId: '123456789012',
      apiId: 'r4nd0m1d',
      domainName: 'r4nd0m1d.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'r4nd0m1d',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.10', userAgent: 'curl/8.5.0' },
      requestId: 'CJ5ahgRnjoEEMyQ=',
      routeKey,
      stage: '$default',
      time: '29/Nov/2026:07:30:00 +0000',
      timeEpoch: 1_795_937_400_000,
    },
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: false,
  };
}

/** An `ObjectCreated:Put` notification for one object; `key` is URL-encoded as S3 encodes it. */
export function s3PutEvent(bucket: string, encodedKey: string): S3Event {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'eu-west-1',
        eventTime: '2026-11-29T07:30:00.000Z',
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'AWS:AROAEXAMPLEID:attune-api' },
        requestParameters: { sourceIPAddress: '203.0.113.10' },
        responseElements: {
          'x-amz-request-id': 'C3D13FE58DE4C810',
          'x-amz-id-2': 'FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD',
        },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'NzM2ZWZjMjYtZDI5Yi00Y2NiLWE1NzYtYjQ3NGE1YTJmNDNh',
          bucket: {
            name: bucket,
            ownerIdentity: { principalId: 'A3NL1KOZZKExample' },
            arn: `arn:aws:s3:::${bucket}`,
          },
          object: {
            key: encodedKey,
            size: 1024,
            eTag: 'd41d8cd98f00b204e9800998ecf8427e',
            versionId: '096fKKXTRTtl3on89fVO.nfljtsv6qko',
            sequencer: '0055AED6DCD90281E5',
          },
        },
      },
    ],
  };
}

/** The Lambda context object the runtime passes as a handler's second argument. */
export function lambdaContext(functionName: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/11/29/[$LATEST]2e3b2c1d0a9f8e7d6c5b4a3f2e1d0c9b',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

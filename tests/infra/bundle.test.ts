import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context, S3Event } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { API_ENTRY } from '../../infra/constructs/api.ts';
import { INGESTION_ENTRY } from '../../infra/constructs/ingestion.ts';
import { bundleLikeCdk } from './bundle-like-cdk.ts';
import { httpApiEvent, lambdaContext, s3PutEvent } from './lambda-events.ts';

/**
 * The deployable artifact itself: each Lambda entry bundled with the very esbuild options the CDK uses,
 * written to a temporary directory outside the repository (so nothing resolves from node_modules), loaded
 * with `import()`, and invoked with the event AWS would send. Its AWS "endpoints" are a loopback server
 * that records every request, so a test can tell that a path made no AWS call at all.
 */

const BUCKET = 'attune-bundle-test';
const requests: string[] = [];
let awsStandIn: Server;
const savedEnv = { ...process.env };

beforeAll(async () => {
  awsStandIn = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    response.writeHead(500).end();
  });
  awsStandIn.listen(0, '127.0.0.1');
  await once(awsStandIn, 'listening');
  const endpoint = `http://127.0.0.1:${(awsStandIn.address() as AddressInfo).port}`;
  delete process.env.POWERTOOLS_DEV;
  Object.assign(process.env, {
    TABLE_NAME: 'attune-bundle-test',
    BUCKET_NAME: BUCKET,
    AWS_REGION: 'eu-west-1',
    ATTUNE_DYNAMODB_ENDPOINT: endpoint,
    ATTUNE_S3_ENDPOINT: endpoint,
  });
});

afterEach(() => {
  vi.restoreAllMocks();
  requests.length = 0;
});

afterAll(async () => {
  process.env = savedEnv;
  awsStandIn.close();
  await once(awsStandIn, 'close');
});

/** Loads a bundle's `handler` the way the Lambda runtime does: an ES module, imported by file URL. */
async function loadHandler<E, R>(entry: string): Promise<(event: E, context: Context) => Promise<R>> {
  const bundle = await bundleLikeCdk(entry);
  const module = (await import(pathToFileURL(bundle.file).href)) as {
    handler: (event: E, context: Context) => Promise<R>;
  };
  expect(typeof module.handler).toBe('function');
  return module.handler;
}

/** Everything written to stdout while `run` runs: where Powertools' JSON log lines go. */
async function captureStdout<T>(run: () => Promise<T>): Promise<{ result: T; output: string }> {
  const chunks: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  });
  const result = await run();
  vi.restoreAllMocks();
  return { result, output: chunks.join('') };
}

describe('API Lambda bundle', () => {
  it('Given the API bundled as the CDK bundles it, when API Gateway sends GET /healthz, then it answers 200 and calls no AWS service', async () => {
    const handler = await loadHandler<APIGatewayProxyEventV2, APIGatewayProxyResultV2>(API_ENTRY);

    const response = await handler(httpApiEvent('GET', '/healthz'), lambdaContext('attune-api'));

    expect(response).toMatchObject({ statusCode: 200 });
    expect(requests).toEqual([]);
  });
});

describe('Ingestion Lambda bundle', () => {
  it('Given ingestion bundled as the CDK bundles it, when S3 reports an object outside teams/, then it logs that it ignored it and calls no AWS service', async () => {
    const handler = await loadHandler<S3Event, unknown>(INGESTION_ENTRY);

    const { output } = await captureStdout(() =>
      handler(s3PutEvent(BUCKET, 'scratch/notes+v1.jsonl'), lambdaContext('attune-ingest')),
    );

    expect(output).toContain('scratch/notes v1.jsonl');
    expect(output).toMatch(/ignored/i);
    expect(requests).toEqual([]);
  });
});

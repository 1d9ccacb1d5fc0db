/**
 * The cold-start half of `bench/infer.ts`, run as a fresh process: imports the inference Lambda's
 * handler, then sends it one completion event for a `pt:` model, so the time it reports covers module
 * load, the TF.js backend start, the download of the prompt from S3 into an empty disk cache, loading
 * the base model and the first forward pass. A second, warm request follows for contrast.
 *
 * Input (environment): the embedded stack's TABLE_NAME, BUCKET_NAME and endpoints, BENCH_KEY (an API
 * key), BENCH_MODEL (the `pt:` model), ATTUNE_ARTIFACT_CACHE_DIR (an empty directory). Output: one JSON
 * line on stdout.
 */
import { performance } from 'node:perf_hooks';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { httpApiEvent, lambdaContext } from '#tests/infra/lambda-events.ts';

function completionEvent(key: string, model: string): APIGatewayProxyEventV2 {
  const body = JSON.stringify({ model, prompt: 'Where is my parcel?', max_tokens: 1, temperature: 0 });
  const event = httpApiEvent('POST', '/v1/completions');
  return {
    ...event,
    headers: {
      ...event.headers,
      authorization: `Bearer ${key}`,
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
    },
    body,
  };
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  const result = (await run()) as APIGatewayProxyResultV2;
  const status =
    typeof result === 'object' && result && 'statusCode' in result ? (result.statusCode ?? 0) : 0;
  if (status !== 200) throw new Error(`cold request failed: ${JSON.stringify(result)}`);
  return performance.now() - start;
}

const key = process.env.BENCH_KEY;
const model = process.env.BENCH_MODEL;
if (!key || !model) throw new Error('BENCH_KEY and BENCH_MODEL are required');

const importStart = performance.now();
/** The Lambda handler as Lambda calls it (Hono's adapter types its event loosely). */
type HttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>;
const { handler } = (await import('#inference/lambda.ts')) as unknown as { handler: HttpHandler };
const importMs = performance.now() - importStart;
const context = lambdaContext('attune-inference');
const firstMs = await timed(() => handler(completionEvent(key, model), context));
const firstResponseAt = performance.now();
const warmMs = await timed(() => handler(completionEvent(key, model), context));
process.stdout.write(
  `${JSON.stringify({
    processToFirstResponseMs: Math.round(firstResponseAt),
    importMs: Math.round(importMs),
    firstRequestMs: Math.round(firstMs),
    warmRequestMs: Math.round(warmMs),
  })}\n`,
);

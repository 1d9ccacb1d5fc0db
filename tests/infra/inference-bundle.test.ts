import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, type AssetStaging, Stack } from 'aws-cdk-lib';
import { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyRepository } from '#aws/api-key-repository.ts';
import { createClients } from '#aws/clients.ts';
import { parseConfig } from '#aws/config.ts';
import { generateApiKey } from '#core/api-keys.ts';
import { type LocalStorage, startLocalStorage } from '#tests/local-storage.ts';
import { REPO_ROOT } from '../../infra/constructs/bundling.ts';
import { AttuneInference, INFERENCE_ENTRY } from '../../infra/constructs/inference.ts';
import {
  INFERENCE_COMMAND_HOOKS,
  inferencePackageEnvironment,
  MODEL_DIR_FILES,
  TFJS_WASM_BINARIES,
} from '../../infra/constructs/inference-package.ts';
import { AttuneStorage } from '../../infra/constructs/storage.ts';
import { bundleLikeCdk, type LambdaBundle } from './bundle-like-cdk.ts';
import { cdkJsonContext } from './cdk-test-app.ts';
import { httpApiEvent, lambdaContext } from './lambda-events.ts';

/**
 * The inference Lambda's deployable package itself: bundled with the CDK's esbuild options and the
 * construct's own afterBundling hook into a temporary directory outside the repository (so nothing can
 * resolve from node_modules or models/), compared with the asset the CDK itself stages, then loaded with
 * `import()` and sent the API Gateway event of a completion request. Its AWS calls go to a DynamoDB Local
 * and s3rver this file starts (the infra project has no global setup); the wasm binaries and the base
 * model are read from the package only, through the environment the construct sets, relocated from
 * /var/task to the bundle.
 */

type Handler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

const savedEnv = { ...process.env };
const team = `t-${randomUUID().slice(0, 12)}`;
const key = generateApiKey();
let bundle: LambdaBundle;
let cacheDir: string;
let storage: LocalStorage;

/** Every file under `dir`, relative to it, sorted. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

beforeAll(async () => {
  [bundle, storage] = await Promise.all([
    bundleLikeCdk(INFERENCE_ENTRY, INFERENCE_COMMAND_HOOKS),
    startLocalStorage(),
  ]);
  cacheDir = await mkdtemp(join(tmpdir(), 'attune-inference-cache-'));
  delete process.env.POWERTOOLS_DEV;
  Object.assign(process.env, {
    ...storage.environment,
    ...inferencePackageEnvironment(bundle.dir),
    ATTUNE_ARTIFACT_CACHE_DIR: cacheDir,
    ATTUNE_ARTIFACT_CACHE_BYTES: String(256 * 1024 * 1024),
    POWERTOOLS_SERVICE_NAME: 'attune-inference',
    POWERTOOLS_LOG_LEVEL: 'WARN',
  });
  const config = parseConfig(process.env);
  const clients = createClients(config);
  await new ApiKeyRepository(clients.dynamo, config.tableName).register(team, key);
  clients.dynamo.destroy();
});

afterAll(async () => {
  process.env = savedEnv;
  await storage?.stop();
  if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
});

describe('Inference Lambda package', () => {
  it('Given the bundle, then it lies outside the repository, so only what the package carries can load', () => {
    expect(relative(REPO_ROOT, bundle.dir).startsWith('..')).toBe(true);
  });

  it('Given the bundle, then the wasm binaries sit beside index.mjs and the base model under models/attune-tiny', async () => {
    expect(await filesUnder(bundle.dir)).toEqual(
      [
        'index.mjs',
        'index.mjs.map',
        ...TFJS_WASM_BINARIES,
        ...MODEL_DIR_FILES.map((file) => `models/attune-tiny/${file}`),
      ].sort(),
    );
  });

  it('Given the packaged model, then its weights are the repository’s byte for byte', async () => {
    const packaged = await readFile(join(bundle.dir, 'models/attune-tiny/model.safetensors'));
    const source = await readFile(join(REPO_ROOT, 'models/attune-tiny/model.safetensors'));
    expect(packaged.equals(source)).toBe(true);
  });

  it('Given the asset the CDK stages for the construct, then it holds the same files with the same bytes', async () => {
    const app = new App({
      context: cdkJsonContext(),
      outdir: await mkdtemp(join(tmpdir(), 'attune-cdk-out-')),
      builtinCloudFormationValidation: false,
    });
    const stack = new Stack(app, 'Test');
    const inference = new AttuneInference(stack, 'Inference', {
      storage: new AttuneStorage(stack, 'Storage'),
      httpApi: new HttpApi(stack, 'Api', { createDefaultStage: false }),
    });
    const staging = inference.handler.node.findChild('Code').node.findChild('Stage') as AssetStaging;
    const staged = staging.absoluteStagedPath;

    const files = await filesUnder(staged);
    expect(files).toEqual(await filesUnder(bundle.dir));
    for (const file of files.filter((name) => !name.endsWith('.map'))) {
      const same = (await readFile(join(staged, file))).equals(await readFile(join(bundle.dir, file)));
      expect(same, file).toBe(true);
    }
    // A source map names its sources relative to the output directory, which differs; the rest is equal.
    const mapOf = async (dir: string) =>
      JSON.parse(await readFile(join(dir, 'index.mjs.map'), 'utf8')) as { mappings: string; names: string[] };
    const [cdkMap, ourMap] = await Promise.all([mapOf(staged), mapOf(bundle.dir)]);
    expect({ mappings: ourMap.mappings, names: ourMap.names }).toEqual({
      mappings: cdkMap.mappings,
      names: cdkMap.names,
    });
  }, 120_000);
});

/** The bundle's `handler`, imported once by file URL as the Lambda runtime imports an ES module. */
let loaded: Promise<Handler> | undefined;
function bundledHandler(): Promise<Handler> {
  loaded ??= import(pathToFileURL(bundle.file).href).then((module: { handler: Handler }) => module.handler);
  return loaded;
}

/** A JSON request to a completion route, authenticated with the test team's key. */
function completionEvent(path: string, body: unknown): APIGatewayProxyEventV2 {
  return httpApiEvent('POST', path, {
    routeKey: `POST ${path}`,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('Inference Lambda bundle', () => {
  it('Given the bundle loaded as Lambda loads it, when API Gateway sends POST /v1/completions for attune-tiny, then 200 with a text_completion', async () => {
    const handler = await bundledHandler();
    const event = completionEvent('/v1/completions', {
      model: 'attune-tiny',
      prompt: 'The people of',
      max_tokens: 4,
      temperature: 0,
    });

    const response = await handler(event, lambdaContext('attune-inference'));

    expect(response.statusCode, response.body).toBe(200);
    const completion = JSON.parse(response.body ?? '') as {
      object: string;
      model: string;
      choices: { text: string }[];
      usage: { completion_tokens: number };
    };
    expect(completion.object).toBe('text_completion');
    expect(completion.model).toBe('attune-tiny');
    expect(completion.choices[0]?.text.length).toBeGreaterThan(0);
    expect(completion.usage.completion_tokens).toBeGreaterThan(0);
    expect(completion.usage.completion_tokens).toBeLessThanOrEqual(4);
  }, 180_000);

  it('Given the bundle, when API Gateway sends POST /v1/chat/completions, then 200 with an assistant message', async () => {
    const handler = await bundledHandler();
    const event = completionEvent('/v1/chat/completions', {
      model: 'attune-tiny',
      messages: [{ role: 'user', content: 'Say something about the Union.' }],
      max_tokens: 4,
      temperature: 0,
    });

    const response = await handler(event, lambdaContext('attune-inference'));

    expect(response.statusCode, response.body).toBe(200);
    const completion = JSON.parse(response.body ?? '') as {
      object: string;
      choices: { message: { role: string; content: string } }[];
    };
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0]?.message.role).toBe('assistant');
  }, 180_000);

  it('Given the bundle, when a request carries no key, then 401 before any model is touched', async () => {
    const handler = await bundledHandler();
    const event = httpApiEvent('POST', '/v1/completions', {
      routeKey: 'POST /v1/completions',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'attune-tiny', prompt: 'x', max_tokens: 1 }),
    });

    const response = await handler(event, lambdaContext('attune-inference'));

    expect(response.statusCode).toBe(401);
  }, 180_000);
});

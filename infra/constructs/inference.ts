import { Duration, Size, SizeRoundingBehavior, Stack, Validations } from 'aws-cdk-lib';
import { HttpMethod, HttpRoute, HttpRouteKey, type IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Alias, type IFunction } from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { CfnBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ConfigError } from '#core/errors.ts';
import { HandlerFunction } from './handler-function.ts';
import { INFERENCE_COMMAND_HOOKS, inferencePackageEnvironment } from './inference-package.ts';
import { type AttuneStorage, BUCKET_NAME_ENV, TABLE_NAME_ENV, TEAMS_PREFIX } from './storage.ts';

/** The inference handler's entry, relative to the repository root: `hono/aws-lambda` over HTTP API v2. */
export const INFERENCE_ENTRY = 'functions/inference/lambda.ts';

/** The routes the inference Lambda answers; every other route stays with the API Lambda (`$default`). */
export const INFERENCE_ROUTES: readonly { readonly id: string; readonly path: string }[] = [
  { id: 'CompletionsRoute', path: '/v1/completions' },
  { id: 'ChatCompletionsRoute', path: '/v1/chat/completions' },
];

/** Where trained models and tuned prompts live (`teams/<team>/models/<job>/…`): all the handler reads. */
export const MODEL_ARTIFACTS_PATTERN = `${TEAMS_PREFIX}*/models/*`;

/** Where the handler keeps downloaded artifacts between requests: Lambda's only writable disk is /tmp. */
export const ARTIFACT_CACHE_DIR = '/tmp/attune-artifacts';

/** The environment variables of the handler's artifact caches (see functions/inference/). */
export const ARTIFACT_CACHE_DIR_ENV = 'ATTUNE_ARTIFACT_CACHE_DIR';
export const ARTIFACT_CACHE_BYTES_ENV = 'ATTUNE_ARTIFACT_CACHE_BYTES';

/** The alias API Gateway invokes when provisioned concurrency is on. */
export const LIVE_ALIAS_NAME = 'live';

/**
 * The default memory, in MB. TF.js's wasm backend holds every tensor in one wasm32 heap (at most 4 GiB)
 * and computes on one thread, so memory is sized for the models, not for vCPUs: 3008 MB holds GPT-2 small
 * (≈0.5 GB of fp32 weights) with its load-time copy and a 1.5 GiB in-memory artifact cache, and brings
 * ≈1.7 vCPUs (one for the single-threaded compute, the rest for JSON, I/O and GC). More memory buys CPU
 * the single wasm thread cannot use and heap it cannot address; and new AWS accounts start with reduced
 * Lambda memory quotas, so a modest default is the one most likely to deploy anywhere.
 */
export const DEFAULT_INFERENCE_MEMORY_MB = 3008;

/** API Gateway HTTP API stops waiting for an integration after 30 s; a longer timeout only costs money. */
export const MAX_INFERENCE_TIMEOUT_SECONDS = 29;

/** The default `/tmp`: room for a few downloaded GPT-2-small-sized models beside the in-memory cache. */
export const DEFAULT_EPHEMERAL_STORAGE = Size.gibibytes(2);

/** Lambda's bounds on memory, in MB. */
export const MIN_MEMORY_MB = 128;
export const MAX_MEMORY_MB = 10_240;
/** Lambda's bounds on `/tmp`, in MiB. */
const MIN_EPHEMERAL_MIB = 512;
const MAX_EPHEMERAL_MIB = 10_240;
const MIB = 1024 * 1024;
/** The in-memory cache holds tensors, which live in the wasm32 heap (4 GiB); leave room for activations. */
const MAX_CACHE_BYTES = 3 * 1024 * MIB;

/** Properties of {@link AttuneInference}. */
export interface AttuneInferenceProps {
  /** The table (keys, models, aliases, served completions) and the bucket (model artifacts). */
  readonly storage: AttuneStorage;
  /** The HTTP API that gets the `POST /v1/completions` and `POST /v1/chat/completions` routes. */
  readonly httpApi: IHttpApi;
  /**
   * Memory in MB (128–10240). See {@link DEFAULT_INFERENCE_MEMORY_MB} for why the default.
   * @default 3008
   */
  readonly memorySize?: number;
  /**
   * Timeout, whole seconds from 1 to 29: API Gateway's HTTP API gives up on an integration at 30 s.
   * @default Duration.seconds(29)
   */
  readonly timeout?: Duration;
  /**
   * Concurrent executions reserved for the inference function (at least 1): it both guarantees that
   * capacity and caps it, so a burst of completions cannot starve the API and ingestion (nor run up an
   * unbounded bill). No reservation by default, because an account must keep 100 executions unreserved
   * and a reservation fails to deploy in accounts whose quota is still low.
   * @default - no reservation: the function shares the account's unreserved concurrency
   */
  readonly reservedConcurrency?: number;
  /**
   * Provisioned concurrency: this many execution environments kept initialised (no cold start: the wasm
   * backend and the base model load at init), on a `live` alias that API Gateway then invokes. 0 means
   * none; it may not exceed `reservedConcurrency` when that is set. Billed whether used or not.
   * @default 0
   */
  readonly provisionedConcurrency?: number;
  /**
   * The size of `/tmp` (512 MiB–10 GiB, whole MiB), where downloaded models and prompts are kept so an
   * artifact evicted from memory reloads from disk, not S3.
   * @default Size.gibibytes(2)
   */
  readonly ephemeralStorageSize?: Size;
  /**
   * The byte bound of the in-memory artifact cache (models, prompts, prompt prefixes), `ATTUNE_ARTIFACT_CACHE_BYTES`:
   * a positive integer below the function's memory and at most 3 GiB (tensors live in a 4 GiB wasm heap).
   * @default half the memory size, at most 3 GiB
   */
  readonly artifactCacheBytes?: number;
  /**
   * How long the inference Lambda's logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/**
 * Serving: the inference Lambda (`functions/inference/lambda.ts`) behind `POST /v1/completions` and
 * `POST /v1/chat/completions` on the Attune HTTP API. Its package carries the TF.js wasm binaries and the
 * built-in base models (see inference-package.ts), so a base model serves with no S3 read at all.
 *
 * It may read objects under `teams/*\/models/*` (trained models and tuned prompts) and nothing else in the
 * bucket; on the table it may get and query items (keys, models, aliases) and put and update them (served
 * completions, alias traffic counts), never delete, scan or touch the index.
 */
export class AttuneInference extends Construct {
  /** The inference function (in this construct's default child, `Resource`). */
  readonly handler: NodejsFunction;
  /** The `live` alias carrying provisioned concurrency, when there is any. */
  readonly alias?: Alias;
  /** What API Gateway invokes: the alias when there is one, else the function. */
  readonly target: IFunction;
  /** The two completion routes. */
  readonly routes: readonly HttpRoute[];

  constructor(scope: Construct, id: string, props: AttuneInferenceProps) {
    super(scope, id);
    const memorySize = props.memorySize ?? DEFAULT_INFERENCE_MEMORY_MB;
    requireInteger(this, 'memorySize', memorySize, MIN_MEMORY_MB, MAX_MEMORY_MB, 'MB');
    const timeout = props.timeout ?? Duration.seconds(MAX_INFERENCE_TIMEOUT_SECONDS);
    const timeoutMs = timeout.toMilliseconds();
    if (timeoutMs % 1000 !== 0 || timeoutMs < 1000 || timeoutMs > MAX_INFERENCE_TIMEOUT_SECONDS * 1000) {
      throw new ConfigError(
        `${this.node.path}: timeout must be a whole number of seconds from 1 to ${MAX_INFERENCE_TIMEOUT_SECONDS} (API Gateway's HTTP API stops waiting at 30), got ${timeout.toHumanString()}`,
      );
    }
    const reserved = props.reservedConcurrency;
    if (reserved !== undefined)
      requireInteger(this, 'reservedConcurrency', reserved, 1, Number.MAX_SAFE_INTEGER);
    const provisioned = props.provisionedConcurrency ?? 0;
    requireInteger(this, 'provisionedConcurrency', provisioned, 0, Number.MAX_SAFE_INTEGER);
    if (reserved !== undefined && provisioned > reserved) {
      throw new ConfigError(
        `${this.node.path}: provisionedConcurrency (${provisioned}) may not exceed reservedConcurrency (${reserved}): provisioned environments count against the reservation`,
      );
    }
    const ephemeral = props.ephemeralStorageSize ?? DEFAULT_EPHEMERAL_STORAGE;
    const ephemeralMib = ephemeral.toMebibytes({ rounding: SizeRoundingBehavior.NONE });
    requireInteger(this, 'ephemeralStorageSize', ephemeralMib, MIN_EPHEMERAL_MIB, MAX_EPHEMERAL_MIB, 'MiB');
    const cacheBytes =
      props.artifactCacheBytes ?? Math.min(Math.floor(memorySize / 2) * MIB, MAX_CACHE_BYTES);
    requireInteger(
      this,
      'artifactCacheBytes',
      cacheBytes,
      1,
      Math.min(memorySize * MIB - 1, MAX_CACHE_BYTES),
    );

    const fn = new HandlerFunction(this, 'Resource', {
      entry: INFERENCE_ENTRY,
      description: 'Attune inference (completions from base, fine-tuned and prompt-tuned models)',
      memorySize,
      timeout,
      logRetention: props.logRetention ?? RetentionDays.ONE_MONTH,
      serviceName: 'attune-inference',
      commandHooks: INFERENCE_COMMAND_HOOKS,
      reservedConcurrentExecutions: reserved,
      ephemeralStorageSize: ephemeral,
      environment: {
        ...inferencePackageEnvironment(),
        [ARTIFACT_CACHE_DIR_ENV]: ARTIFACT_CACHE_DIR,
        [ARTIFACT_CACHE_BYTES_ENV]: String(cacheBytes),
      },
    });
    this.handler = fn.function;
    this.grantServing(props.storage, fn);

    if (provisioned > 0) {
      this.alias = new Alias(this, 'LiveAlias', {
        aliasName: LIVE_ALIAS_NAME,
        version: this.handler.currentVersion,
        provisionedConcurrentExecutions: provisioned,
      });
    }
    this.target = this.alias ?? this.handler;

    const integration = new HttpLambdaIntegration('Integration', this.target);
    this.routes = INFERENCE_ROUTES.map((route) => {
      const httpRoute = new HttpRoute(this, route.id, {
        httpApi: props.httpApi,
        routeKey: HttpRouteKey.with(route.path, HttpMethod.POST),
        integration,
      });
      Validations.of(httpRoute).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'Completions authenticate like every Attune route, OpenAI style: the handler hashes the bearer key and looks up its team before loading anything. A Gateway authorizer would add a second Lambda call to the latency-critical path and split the one auth rule in two.',
      });
      return httpRoute;
    });
  }

  /** Sets `TABLE_NAME`/`BUCKET_NAME` and grants exactly what serving needs (see the class comment). */
  private grantServing(storage: AttuneStorage, handlerFunction: HandlerFunction): void {
    const fn = this.handler;
    fn.addEnvironment(TABLE_NAME_ENV, storage.table.tableName);
    fn.addEnvironment(BUCKET_NAME_ENV, storage.bucket.bucketName);
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        resources: [storage.table.tableArn],
      }),
    );
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [storage.bucket.arnForObjects(MODEL_ARTIFACTS_PATTERN)],
      }),
    );
    // Listing within the model prefixes turns a missing artifact file into 404 NoSuchKey, as s3rver
    // answers locally, instead of 403 AccessDenied: the handler sees the same error in both places.
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [storage.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [MODEL_ARTIFACTS_PATTERN] } },
      }),
    );
    storage.encryptionKey?.grantDecrypt(fn);
    const bucketId = Stack.of(this).resolve((storage.bucket.node.defaultChild as CfnBucket).logicalId);
    Validations.of(handlerFunction.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${MODEL_ARTIFACTS_PATTERN}]`,
      reason:
        'Read-only, and only trained models and tuned prompts: teams/{team}/models/{job}/ for every team, because one function serves every team. Which team may use which model is enforced in code from the authenticated key; datasets, checkpoints and everything else in the bucket stay out of reach.',
    });
  }
}

/** Rejects at once a value that is not an integer in [min, max]. */
function requireInteger(
  scope: Construct,
  name: string,
  value: number,
  min: number,
  max: number,
  unit = '',
): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `from ${min} to ${max}`;
    throw new ConfigError(
      `${scope.node.path}: ${name} must be a whole number${unit ? ` of ${unit}` : ''} ${range}, got ${value}`,
    );
  }
}

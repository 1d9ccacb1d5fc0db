import { Duration, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  HttpRoute,
  HttpRouteKey,
  HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ConfigError } from '#core/errors.ts';
import { HandlerFunction } from './handler-function.ts';
import { type AttuneStorage, BucketAccess, TableAccess } from './storage.ts';

/** The API handler's entry, relative to the repository root: the Hono app behind `hono/aws-lambda`. */
export const API_ENTRY = 'functions/http/lambda.ts';

/** Environment variable through which the API learns the largest body `POST /v1/files` accepts. */
export const MAX_UPLOAD_BYTES_ENV = 'ATTUNE_MAX_UPLOAD_BYTES';

/**
 * The largest `POST /v1/files` body a Lambda behind API Gateway can take: the invocation payload is capped
 * at 6 MiB and API Gateway base64-encodes binary bodies (×4/3), which leaves about 4.5 MB of file plus
 * headers. Larger datasets go through `POST /v1/uploads` (a presigned S3 PUT).
 */
export const MAX_UPLOAD_BYTES_LIMIT = 4_500_000;

/** API Gateway gives up on an integration after 30 s, so a longer Lambda timeout would only waste money. */
const MAX_API_TIMEOUT_SECONDS = 29;

/** Properties of {@link AttuneApi}. */
export interface AttuneApiProps {
  /** The bucket and table the API reads and writes. */
  readonly storage: AttuneStorage;
  /**
   * The largest file `POST /v1/files` accepts, in bytes (a clear 413 past it); a positive integer no
   * larger than {@link MAX_UPLOAD_BYTES_LIMIT}.
   * @default 4 MiB (4_194_304)
   */
  readonly maxUploadBytes?: number;
  /**
   * How long the API Lambda's logs and the HTTP API's access logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Memory for the API Lambda, in MB (128–10240); CPU grows with it.
   * @default 1024
   */
  readonly memorySize?: number;
  /**
   * The API Lambda's timeout: at most 29 seconds, under API Gateway's 30-second integration limit.
   * @default Duration.seconds(29)
   */
  readonly timeout?: Duration;
}

/**
 * Attune's HTTPS API: an HTTP API (API Gateway v2) whose `$default` route sends every request to one
 * Lambda, the Hono app in `functions/http/lambda.ts`, which routes, authenticates and answers. Access
 * logs go to their own log group. The Lambda gets `TABLE_NAME`, `BUCKET_NAME` and
 * `ATTUNE_MAX_UPLOAD_BYTES`, read/write on the table and on the bucket's `teams/` prefix.
 */
export class AttuneApi extends Construct {
  /** The HTTP API (this construct's default child, `Resource`). */
  readonly httpApi: HttpApi;
  /** The `$default` stage, auto-deployed, with access logging. */
  readonly stage: HttpStage;
  /** The API Lambda. */
  readonly handler: NodejsFunction;
  /** Where the stage's access logs go. */
  readonly accessLogs: LogGroup;
  /** The API's base URL. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: AttuneApiProps) {
    super(scope, id);
    const maxUploadBytes = props.maxUploadBytes ?? 4 * 1024 * 1024;
    if (!Number.isInteger(maxUploadBytes) || maxUploadBytes < 1 || maxUploadBytes > MAX_UPLOAD_BYTES_LIMIT) {
      throw new ConfigError(
        `${this.node.path}: maxUploadBytes must be a whole number of bytes from 1 to ${MAX_UPLOAD_BYTES_LIMIT} (the Lambda payload limit), got ${maxUploadBytes}`,
      );
    }
    const timeout = props.timeout ?? Duration.seconds(MAX_API_TIMEOUT_SECONDS);
    const timeoutMs = timeout.toMilliseconds();
    if (timeoutMs % 1000 !== 0 || timeoutMs < 1000 || timeoutMs > MAX_API_TIMEOUT_SECONDS * 1000) {
      throw new ConfigError(
        `${this.node.path}: timeout must be a whole number of seconds from 1 to ${MAX_API_TIMEOUT_SECONDS} (API Gateway stops waiting at 30), got ${timeout.toHumanString()}`,
      );
    }
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;

    const fn = new HandlerFunction(this, 'Handler', {
      entry: API_ENTRY,
      description: 'the Attune HTTP API (OpenAI-compatible files, jobs, models, inference)',
      memorySize: props.memorySize ?? 1024,
      timeout,
      logRetention,
      serviceName: 'attune-api',
      environment: { [MAX_UPLOAD_BYTES_ENV]: String(maxUploadBytes) },
    });
    this.handler = fn.function;
    props.storage.bindTable(this.handler, TableAccess.READ_WRITE);
    props.storage.bindBucket(this.handler, BucketAccess.READ_WRITE);
    // Estimates read live on-demand prices (functions/aws/price-list.ts); without this the API falls back
    // to the dated catalog and says so, so the grant changes figures, never availability.
    this.handler.addToRolePolicy(new PolicyStatement({ actions: ['pricing:GetProducts'], resources: ['*'] }));
    Validations.of(fn.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'pricing:GetProducts (the AWS Price List Query API, read-only public prices for estimates) supports no resource-level permissions: IAM requires Resource "*" for it. It is the only action granted on "*".',
    });

    this.httpApi = new HttpApi(this, 'Resource', {
      description: 'Attune: adapt a language model to a team’s data (OpenAI-compatible)',
      createDefaultStage: false,
    });
    const defaultRoute = new HttpRoute(this, 'DefaultRoute', {
      httpApi: this.httpApi,
      routeKey: HttpRouteKey.DEFAULT,
      integration: new HttpLambdaIntegration('Handler', this.handler),
    });
    Validations.of(defaultRoute).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'The API authenticates every request itself, OpenAI style: the Lambda hashes the bearer key and looks up its team (GET /healthz is deliberately open). A Gateway authorizer would add a second Lambda call per request and split the one auth rule in two.',
    });
    this.accessLogs = new LogGroup(this, 'AccessLogs', { retention: logRetention });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.jsonWithStandardFields(),
      },
    });
    this.url = this.stage.url;
  }
}

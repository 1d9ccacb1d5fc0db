import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { EventType } from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ConfigError } from '#core/errors.ts';
import { HandlerFunction } from './handler-function.ts';
import { type AttuneStorage, BucketAccess, TableAccess, TEAMS_PREFIX } from './storage.ts';

/** The ingestion handler's entry, relative to the repository root: `handler(event: S3Event)`. */
export const INGESTION_ENTRY = 'functions/events/ingest.ts';

/** The id prefix of the singleton custom resource the CDK adds to a stack to configure S3 notifications. */
const NOTIFICATIONS_HANDLER_ID_PREFIX = 'BucketNotificationsHandler';

/** Lambda retries a failed asynchronous invocation at most twice. */
const MAX_RETRY_ATTEMPTS = 2;
/** Lambda keeps an asynchronous event for 60 s to 6 h. */
const MIN_EVENT_AGE_SECONDS = 60;
const MAX_EVENT_AGE_SECONDS = 6 * 60 * 60;
/** Lambda's own ceiling. */
const MAX_TIMEOUT_SECONDS = 15 * 60;

/** Properties of {@link AttuneIngestion}. */
export interface AttuneIngestionProps {
  /** The bucket whose new objects are ingested, and the table the results are written to. */
  readonly storage: AttuneStorage;
  /**
   * How many times Lambda retries a failed ingestion before the event goes to the dead-letter queue
   * (0–2). The handler is idempotent per object version, so a retry never counts an object twice.
   * @default 2
   */
  readonly retryAttempts?: number;
  /**
   * How long an undelivered event may wait for a retry before it goes to the dead-letter queue
   * (1 minute to 6 hours).
   * @default Duration.hours(6)
   */
  readonly maxEventAge?: Duration;
  /**
   * The ingestion Lambda's timeout (at most 15 minutes). Validation streams the object, so time, not
   * memory, grows with its size: 15 minutes at ≥ 20 MB/s covers well over 10 GB.
   * @default Duration.minutes(15)
   */
  readonly timeout?: Duration;
  /**
   * Memory for the ingestion Lambda, in MB (128–10240); CPU, and so throughput, grows with it. The
   * default, 1769 MB, is one full vCPU: ingestion is CPU-bound (token counting) at about 20-25 MB per
   * CPU-second, so a smaller function would stream a large dataset proportionally slower.
   * @default 1769
   */
  readonly memorySize?: number;
  /**
   * How long the ingestion Lambda's logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/**
 * Dataset ingestion: every object created under the bucket's `teams/` prefix invokes the ingestion
 * Lambda (`functions/events/ingest.ts`) asynchronously; a failed invocation is retried, then its event,
 * with the error, lands in an encrypted, TLS-only SQS dead-letter queue to inspect and redrive. The
 * Lambda may read objects under `teams/` and write table items, nothing more.
 */
export class AttuneIngestion extends Construct {
  /** The ingestion Lambda (in this construct's default child, `Resource`). */
  readonly handler: NodejsFunction;
  /** Where events that failed every attempt end up. */
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: AttuneIngestionProps) {
    super(scope, id);
    const retryAttempts = props.retryAttempts ?? MAX_RETRY_ATTEMPTS;
    if (!Number.isInteger(retryAttempts) || retryAttempts < 0 || retryAttempts > MAX_RETRY_ATTEMPTS) {
      throw new ConfigError(
        `${this.node.path}: retryAttempts must be 0, 1 or ${MAX_RETRY_ATTEMPTS} (Lambda's limit), got ${retryAttempts}`,
      );
    }
    const maxEventAge = props.maxEventAge ?? Duration.seconds(MAX_EVENT_AGE_SECONDS);
    requireWholeSeconds(this, 'maxEventAge', maxEventAge, MIN_EVENT_AGE_SECONDS, MAX_EVENT_AGE_SECONDS);
    const timeout = props.timeout ?? Duration.seconds(MAX_TIMEOUT_SECONDS);
    requireWholeSeconds(this, 'timeout', timeout, 1, MAX_TIMEOUT_SECONDS);

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue: the ingestion Lambda’s on-failure destination. Events are inspected and redriven by hand; a DLQ of the DLQ would only move them.',
    });

    const fn = new HandlerFunction(this, 'Resource', {
      entry: INGESTION_ENTRY,
      description: 'Attune dataset ingestion (validates and measures uploaded JSONL)',
      memorySize: props.memorySize ?? 1769,
      timeout,
      logRetention: props.logRetention ?? RetentionDays.ONE_MONTH,
      serviceName: 'attune-ingest',
      retryAttempts,
      maxEventAge,
      onFailure: new SqsDestination(this.deadLetterQueue),
    });
    this.handler = fn.function;
    props.storage.bindTable(this.handler, TableAccess.WRITE);
    props.storage.bindBucket(this.handler, BucketAccess.READ);

    props.storage.bucket.addEventNotification(EventType.OBJECT_CREATED, new LambdaDestination(this.handler), {
      prefix: TEAMS_PREFIX,
    });
    const notificationsHandler = Stack.of(this)
      .node.findAll()
      .find((construct) => construct.node.id.startsWith(NOTIFICATIONS_HANDLER_ID_PREFIX));
    if (notificationsHandler) {
      Validations.of(notificationsHandler).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          'The CDK’s own BucketNotificationsHandler (aws-s3-notifications) runs only during deployment, to set the bucket’s notification configuration; AWSLambdaBasicExecutionRole lets it write its own CloudWatch logs and nothing else.',
      });
    }
  }
}

/** Rejects at once a duration that is not a whole number of seconds within [min, max]. */
function requireWholeSeconds(
  scope: Construct,
  name: string,
  value: Duration,
  min: number,
  max: number,
): void {
  const ms = value.toMilliseconds();
  if (ms % 1000 !== 0 || ms < min * 1000 || ms > max * 1000) {
    throw new ConfigError(
      `${scope.node.path}: ${name} must be a whole number of seconds from ${min} to ${max}, got ${value.toHumanString()}`,
    );
  }
}

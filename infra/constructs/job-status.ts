import { Duration, Validations } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { HandlerFunction } from './handler-function.ts';
import { type AttuneStorage, BUCKET_NAME_ENV, TableAccess } from './storage.ts';
import type { AttuneTraining } from './training.ts';

/** The status handler's entry, relative to the repository root: `handler(event: BatchStateChangeEvent)`. */
export const JOB_STATUS_ENTRY = 'functions/events/batch-status.ts';

/** The dispatch sweep's entry: `handler(event: ScheduledEvent)`. */
export const DISPATCH_SWEEP_ENTRY = 'functions/events/dispatch-sweep.ts';

/** The EventBridge detail type of AWS Batch's job events (`BATCH_STATE_CHANGE` of the handler). */
export const BATCH_JOB_STATE_CHANGE = 'Batch Job State Change';

/** How long a state change may wait for delivery and retries before it goes to the dead-letter queue. */
const MAX_EVENT_AGE = Duration.hours(6);

/** Properties of {@link AttuneJobStatus}. */
export interface AttuneJobStatusProps {
  /** The table the job transitions are written to. */
  readonly storage: AttuneStorage;
  /** The queues whose jobs are followed, and the dispatcher the handler terminates cancelled jobs with. */
  readonly training: AttuneTraining;
  /**
   * How long the status Lambda's logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * How often the dispatch sweep fails jobs whose create request died before dispatching them (they hold
   * their estimate against the team's budget until then). Between 1 and 60 minutes.
   * @default Duration.minutes(10)
   */
  readonly sweepInterval?: Duration;
}

/**
 * Job status from AWS Batch: an EventBridge rule takes every "Batch Job State Change" of Attune's two
 * queues (and no other queue's) to the status Lambda (functions/events/batch-status.ts), which turns each
 * into a conditional job transition. The Lambda may read, write and delete table items, and cancel or terminate
 * Batch jobs (a job cancelled while it started is terminated when its RUNNING event arrives). An event
 * that cannot be delivered, or whose handling fails after Lambda's two retries, lands in an encrypted,
 * TLS-only dead-letter queue, so no job is left silently stuck in `running`.
 *
 * A second, scheduled Lambda (functions/events/dispatch-sweep.ts) fails jobs that were stored but never
 * dispatched (their create request died in between), so none is left stuck in `validating_files` either.
 */
export class AttuneJobStatus extends Construct {
  /** The status Lambda (in this construct's default child, `Resource`). */
  readonly handler: NodejsFunction;
  readonly rule: Rule;
  readonly deadLetterQueue: Queue;
  /** The dispatch sweep Lambda and the schedule that runs it. */
  readonly sweeper: NodejsFunction;
  readonly sweepRule: Rule;

  constructor(scope: Construct, id: string, props: AttuneJobStatusProps) {
    super(scope, id);
    const sweepInterval = props.sweepInterval ?? Duration.minutes(10);
    const sweepMinutes = sweepInterval.toMinutes({ integral: false });
    if (!(sweepMinutes >= 1 && sweepMinutes <= 60)) {
      throw new Error(`AttuneJobStatus: sweepInterval must be between 1 and 60 minutes, got ${sweepMinutes}`);
    }
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue of the job status rule and Lambda: state changes that failed every attempt wait here to be inspected and redriven; a DLQ of the DLQ would only move them.',
    });

    const fn = new HandlerFunction(this, 'Resource', {
      entry: JOB_STATUS_ENTRY,
      description: 'Attune job status (AWS Batch job state changes to job transitions)',
      memorySize: 256,
      timeout: Duration.seconds(30),
      logRetention: props.logRetention ?? RetentionDays.ONE_MONTH,
      serviceName: 'attune-batch-status',
      retryAttempts: 2,
      maxEventAge: MAX_EVENT_AGE,
      onFailure: new SqsDestination(this.deadLetterQueue),
    });
    this.handler = fn.function;
    // READ_WRITE, not WRITE: a model registered for a run whose cancel won the race is deleted again.
    props.storage.bindTable(this.handler, TableAccess.READ_WRITE);
    // The handler's configuration requires the bucket's name, though it touches no object.
    this.handler.addEnvironment(BUCKET_NAME_ENV, props.storage.bucket.bucketName);
    props.training.bindDispatcher(this.handler);
    props.training.grantCancel(this.handler);

    this.rule = new Rule(this, 'StateChanges', {
      description: 'AWS Batch job state changes of the Attune training queues',
      eventPattern: {
        source: ['aws.batch'],
        detailType: [BATCH_JOB_STATE_CHANGE],
        detail: { jobQueue: [props.training.gpu.queue.jobQueueArn, props.training.cpu.queue.jobQueueArn] },
      },
      targets: [
        new LambdaFunction(this.handler, {
          deadLetterQueue: this.deadLetterQueue,
          maxEventAge: MAX_EVENT_AGE,
        }),
      ],
    });

    const sweeper = new HandlerFunction(this, 'DispatchSweep', {
      entry: DISPATCH_SWEEP_ENTRY,
      description: 'Attune dispatch sweep (fails jobs stored but never dispatched)',
      memorySize: 256,
      timeout: Duration.minutes(1),
      logRetention: props.logRetention ?? RetentionDays.ONE_MONTH,
      serviceName: 'attune-dispatch-sweep',
      retryAttempts: 0,
    });
    this.sweeper = sweeper.function;
    props.storage.bindTable(this.sweeper, TableAccess.READ_WRITE);
    this.sweeper.addEnvironment(BUCKET_NAME_ENV, props.storage.bucket.bucketName);
    this.sweepRule = new Rule(this, 'DispatchSweepSchedule', {
      description: 'Runs the Attune dispatch sweep',
      schedule: Schedule.rate(sweepInterval),
      targets: [new LambdaFunction(this.sweeper, { retryAttempts: 0 })],
    });
  }
}

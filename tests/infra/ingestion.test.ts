import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { AttuneIngestion, type AttuneIngestionProps } from '../../infra/constructs/ingestion.ts';
import { AttuneStorage } from '../../infra/constructs/storage.ts';
import { allowedActions, newTestStack, statementFor } from './cdk-test-app.ts';

/** A stack holding storage and ingestion; `props` go to ingestion. */
function ingestionStack(props: Partial<AttuneIngestionProps> = {}) {
  const { stack } = newTestStack();
  const storage = new AttuneStorage(stack, 'Storage');
  return { stack, storage, build: () => new AttuneIngestion(stack, 'Ingestion', { storage, ...props }) };
}

// Bundling is the slow part: synthesise the real construct (real esbuild bundling) once for the file.
const built = ingestionStack();
const ingestion = built.build();
const template = Template.fromStack(built.stack);
const logicalId = (construct: { node: { defaultChild?: unknown } }) =>
  Stack.of(built.stack).getLogicalId(construct.node.defaultChild as never);

describe('AttuneIngestion notification', () => {
  it('Given defaults, then objects created under teams/ invoke the ingestion Lambda', () => {
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: { Ref: logicalId(built.storage.bucket) },
      NotificationConfiguration: {
        LambdaFunctionConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'teams/' }] } },
            LambdaFunctionArn: { 'Fn::GetAtt': [logicalId(ingestion.handler), 'Arn'] },
          },
        ],
      },
    });
  });

  it('Given defaults, then only S3, from this account, may invoke the ingestion Lambda', () => {
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [logicalId(ingestion.handler), 'Arn'] },
      Principal: 's3.amazonaws.com',
      SourceAccount: { Ref: 'AWS::AccountId' },
      SourceArn: { 'Fn::GetAtt': [logicalId(built.storage.bucket), 'Arn'] },
    });
  });
});

describe('AttuneIngestion retries and dead-letter queue', () => {
  it('Given defaults, then a failed invocation is retried twice within six hours, then sent to the DLQ', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(ingestion.handler) },
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 21_600,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(ingestion.deadLetterQueue), 'Arn'] } },
      },
    });
  });

  it('Given defaults, then the DLQ is encrypted and keeps events for 14 days', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1_209_600,
    });
  });

  it('Given defaults, then the DLQ refuses every request that is not over TLS', () => {
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: logicalId(ingestion.deadLetterQueue) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('Given defaults, then the Lambda may send to the DLQ', () => {
    expect(statementFor(template, 'sqs:SendMessage')?.Resource).toEqual({
      'Fn::GetAtt': [logicalId(ingestion.deadLetterQueue), 'Arn'],
    });
  });

  it('Given retryAttempts 0 and a one-hour maxEventAge, then the invoke config uses them', () => {
    const { stack, build } = ingestionStack({ retryAttempts: 0, maxEventAge: Duration.hours(1) });
    build();
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 3600,
    });
  });
});

describe('AttuneIngestion Lambda', () => {
  it('Given defaults, then the ingestion Lambda runs Node 22 on arm64 with one full vCPU for up to 15 minutes', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: 900,
      MemorySize: 1769,
      Environment: {
        Variables: {
          TABLE_NAME: { Ref: logicalId(built.storage.table) },
          BUCKET_NAME: { Ref: logicalId(built.storage.bucket) },
          NODE_OPTIONS: '--enable-source-maps',
          POWERTOOLS_SERVICE_NAME: 'attune-ingest',
        },
      },
    });
  });

  it('Given defaults, then the Lambda may read object versions under teams/ and write none', () => {
    const read = statementFor(template, 's3:GetObject');
    expect(read?.Action).toEqual(['s3:GetObject', 's3:GetObjectVersion']);
    expect(read?.Resource).toEqual({
      'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(built.storage.bucket), 'Arn'] }, '/teams/*']],
    });
    expect(
      allowedActions(template).filter((action) =>
        /^s3:(PutObject|DeleteObject|AbortMultipartUpload|List)/.test(action),
      ),
    ).toEqual([]);
  });

  it('Given defaults, then the Lambda may write table items but neither delete nor scan', () => {
    const actions = allowedActions(template);
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem']));
    expect(actions).not.toContain('dynamodb:DeleteItem');
    expect(actions).not.toContain('dynamodb:Scan');
  });
});

describe('AttuneIngestion rejects bad props at once', () => {
  it.each([3, -1, 1.5])('Given retryAttempts %s, then the constructor throws', (retryAttempts) => {
    const { build } = ingestionStack({ retryAttempts });
    expect(build).toThrow(/Ingestion: retryAttempts must be 0, 1 or 2/);
  });

  it.each([Duration.seconds(59), Duration.hours(7), Duration.millis(90_500)])(
    'Given maxEventAge %s, then the constructor throws',
    (maxEventAge) => {
      const { build } = ingestionStack({ maxEventAge });
      expect(build).toThrow(/Ingestion: maxEventAge must be a whole number of seconds from 60 to 21600/);
    },
  );

  it.each([Duration.minutes(16), Duration.millis(500)])(
    'Given timeout %s, then the constructor throws',
    (timeout) => {
      const { build } = ingestionStack({ timeout });
      expect(build).toThrow(/Ingestion: timeout must be a whole number of seconds from 1 to 900/);
    },
  );
});

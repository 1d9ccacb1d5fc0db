import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import {
  AttuneStorage,
  type AttuneStorageProps,
  BucketAccess,
  TableAccess,
} from '../../infra/constructs/storage.ts';
import { allowedActions, newTestStack, statementFor } from './cdk-test-app.ts';

/** A storage construct, plus (when `bind` says so) a plain function bound to it, synthesised. */
function synthStorage(props: AttuneStorageProps = {}, bind?: { table: TableAccess; bucket: BucketAccess }) {
  const { stack } = newTestStack();
  const storage = new AttuneStorage(stack, 'Storage', props);
  if (bind) {
    const fn = new LambdaFunction(stack, 'Consumer', {
      runtime: Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: Code.fromInline('export const handler = async () => {};'),
    });
    storage.bindTable(fn, bind.table);
    storage.bindBucket(fn, bind.bucket);
  }
  return { storage, stack, template: Template.fromStack(stack) };
}

const defaults = synthStorage();

describe('AttuneStorage bucket', () => {
  it('Given defaults, then the data bucket blocks all public access', () => {
    defaults.template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      VersioningConfiguration: { Status: 'Enabled' },
    });
  });

  it('Given defaults, then the bucket policy denies every request that is not over TLS', () => {
    const bucketId = defaults.stack.getLogicalId(defaults.storage.bucket.node.defaultChild as never);
    defaults.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('Given defaults, then objects are encrypted with S3-managed keys', () => {
    defaults.template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
    });
  });

  it('Given defaults, then abandoned multipart uploads are aborted after 7 days and old versions expire after 30', () => {
    defaults.template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 }, Status: 'Enabled' }),
          Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 30 }, Status: 'Enabled' }),
        ]),
      },
    });
  });

  it('Given defaults, then server access logs go to the separate log bucket', () => {
    const logBucketId = defaults.stack.getLogicalId(
      defaults.storage.accessLogsBucket.node.defaultChild as never,
    );
    defaults.template.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: { DestinationBucketName: { Ref: logBucketId }, LogFilePrefix: 'data-bucket/' },
    });
  });

  it('Given defaults, then the data bucket has no physical name, so the CDK generates one', () => {
    const bucket = defaults.template.findResources('AWS::S3::Bucket', {
      Properties: { VersioningConfiguration: { Status: 'Enabled' } },
    });
    expect(Object.values(bucket)[0]?.Properties.BucketName).toBeUndefined();
  });

  it('Given custom lifecycle durations, then the rules use them', () => {
    const { template } = synthStorage({
      abortIncompleteUploadsAfter: Duration.days(2),
      noncurrentVersionExpiration: Duration.days(90),
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 2 } }),
          Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 90 } }),
        ]),
      },
    });
  });

  it('Given KMS encryption, then the bucket uses a customer-managed key that rotates', () => {
    const { template } = synthStorage({ encryption: BucketEncryption.KMS });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          Match.objectLike({ ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }) }),
        ],
      },
    });
  });
});

describe('AttuneStorage table', () => {
  it('Given defaults, then the table is a pk/sk single table billed on demand with point-in-time recovery', () => {
    defaults.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('Given defaults, then the table has the gsi1 lookup index on gsi1pk/gsi1sk', () => {
    defaults.template.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: [
        Match.objectLike({
          IndexName: 'gsi1',
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        }),
      ],
    });
  });

  it('Given defaults, then items expire through the TTL attribute expiresAt', () => {
    defaults.template.hasResourceProperties('AWS::DynamoDB::Table', {
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('Given defaults, then the bucket and the table are retained when the stack is deleted', () => {
    defaults.template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
    defaults.template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
  });
});

describe('AttuneStorage rejects bad props at once', () => {
  it.each([BucketEncryption.UNENCRYPTED, BucketEncryption.KMS_MANAGED, BucketEncryption.DSSE])(
    'Given encryption %s, then the constructor throws',
    (encryption) => {
      const { stack } = newTestStack();
      expect(() => new AttuneStorage(stack, 'Storage', { encryption })).toThrow(
        /Storage: encryption must be S3_MANAGED or KMS/,
      );
    },
  );

  it.each([
    ['abortIncompleteUploadsAfter', Duration.hours(12)],
    ['noncurrentVersionExpiration', Duration.hours(36)],
    ['accessLogsExpiration', Duration.days(0)],
  ] as const)('Given %s of %s, then the constructor throws', (name, value) => {
    const { stack } = newTestStack();
    expect(() => new AttuneStorage(stack, 'Storage', { [name]: value })).toThrow(
      new RegExp(`${name} must be a whole number of days, at least 1`),
    );
  });
});

describe('AttuneStorage binding', () => {
  const readWrite = synthStorage({}, { table: TableAccess.READ_WRITE, bucket: BucketAccess.READ_WRITE });
  const writeRead = synthStorage({}, { table: TableAccess.WRITE, bucket: BucketAccess.READ });

  it('Given a bound function, then it gets TABLE_NAME and BUCKET_NAME', () => {
    readWrite.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          TABLE_NAME: { Ref: Match.stringLikeRegexp('^StorageTable') },
          BUCKET_NAME: { Ref: Match.stringLikeRegexp('^Storage') },
        },
      },
    });
  });

  it('Given READ_WRITE, then the function may delete items but never scan', () => {
    const actions = allowedActions(readWrite.template);
    expect(actions).toEqual(
      expect.arrayContaining(['dynamodb:DeleteItem', 'dynamodb:Query', 'dynamodb:PutItem']),
    );
    expect(actions).not.toContain('dynamodb:Scan');
  });

  it('Given WRITE, then the function may put and update items but neither delete nor scan', () => {
    const actions = allowedActions(writeRead.template);
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem']));
    expect(actions).not.toContain('dynamodb:DeleteItem');
    expect(actions).not.toContain('dynamodb:Scan');
  });

  it('Given table access, then it reaches the table and the gsi1 index only', () => {
    const statement = statementFor(readWrite.template, 'dynamodb:GetItem');
    expect(JSON.stringify(statement?.Resource)).toMatch(/\/index\/gsi1"/);
    expect(JSON.stringify(statement?.Resource)).not.toMatch(/index\/\*/);
  });

  it('Given BucketAccess.READ, then the function may read object versions under teams/ and write nothing', () => {
    const actions = allowedActions(writeRead.template);
    expect(actions).toEqual(expect.arrayContaining(['s3:GetObject', 's3:GetObjectVersion']));
    expect(
      actions.filter((action) => /^s3:(PutObject|DeleteObject|AbortMultipartUpload|List)/.test(action)),
    ).toEqual([]);
  });

  it('Given BucketAccess.READ_WRITE, then object rights stop at the teams/ prefix', () => {
    const statement = statementFor(readWrite.template, 's3:PutObject');
    expect(JSON.stringify(statement?.Resource)).toMatch(/"\/teams\/\*"/);
  });

  it('Given BucketAccess.READ_WRITE, then listing is limited to keys under teams/', () => {
    readWrite.template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 's3:ListBucket',
            Condition: { StringLike: { 's3:prefix': ['teams/*'] } },
          }),
        ]),
      },
    });
  });

  it('Given a KMS bucket, then a bound reader may decrypt with its key but not encrypt', () => {
    const { template } = synthStorage(
      { encryption: BucketEncryption.KMS },
      { table: TableAccess.WRITE, bucket: BucketAccess.READ },
    );
    expect(allowedActions(template)).toContain('kms:Decrypt');
    expect(allowedActions(template)).not.toContain('kms:Encrypt');
  });

  it('Given a KMS bucket, then a bound writer may encrypt and decrypt with its key', () => {
    const { template } = synthStorage(
      { encryption: BucketEncryption.KMS },
      { table: TableAccess.READ_WRITE, bucket: BucketAccess.READ_WRITE },
    );
    expect(allowedActions(template)).toEqual(expect.arrayContaining(['kms:Encrypt', 'kms:Decrypt']));
  });
});

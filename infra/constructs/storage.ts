import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { BlockPublicAccess, Bucket, BucketEncryption, type CfnBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { TTL_ATTRIBUTE } from '#aws/table-keys.ts';
import { ConfigError } from '#core/errors.ts';

/** The prefix under which every team's objects live (`teams/{team}/…`); nothing outside it is served. */
export const TEAMS_PREFIX = 'teams/';

/** The name of the table's one global secondary index, for lookups such as API-key hash → team. */
export const LOOKUP_INDEX_NAME = 'gsi1';

/** Environment variable through which a bound Lambda learns the table's name. */
export const TABLE_NAME_ENV = 'TABLE_NAME';

/** Environment variable through which a bound Lambda learns the bucket's name. */
export const BUCKET_NAME_ENV = 'BUCKET_NAME';

/** How much of the table a bound function may touch. */
export enum TableAccess {
  /** Every item operation on the table and its index: the API's access. */
  READ_WRITE = 'READ_WRITE',
  /**
   * Item writes and the reads a conditional status update needs (GetItem, Query); never DeleteItem,
   * BatchWriteItem or Scan: the ingestion handler's access.
   */
  WRITE = 'WRITE',
}

/** How much of the bucket's `teams/` prefix a bound function may touch. */
export enum BucketAccess {
  /** Get, put, delete objects and presign uploads under `teams/`; list keys under `teams/`. */
  READ_WRITE = 'READ_WRITE',
  /** Get objects (any version) under `teams/`. */
  READ = 'READ',
}

const TABLE_READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'];
const TABLE_WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem'];
const TABLE_DELETE_ACTIONS = ['dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];
const OBJECT_READ_ACTIONS = ['s3:GetObject', 's3:GetObjectVersion'];
const OBJECT_WRITE_ACTIONS = ['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'];

/** Properties of {@link AttuneStorage}. */
export interface AttuneStorageProps {
  /**
   * How objects are encrypted at rest: `S3_MANAGED` (SSE-S3) or `KMS` (a customer-managed key, rotated
   * yearly, created by this construct). Any other value is rejected.
   * @default BucketEncryption.S3_MANAGED
   */
  readonly encryption?: BucketEncryption;
  /**
   * How long an unfinished multipart upload (an abandoned large dataset) may hold storage before S3
   * aborts it. Whole days, at least one.
   * @default Duration.days(7)
   */
  readonly abortIncompleteUploadsAfter?: Duration;
  /**
   * How long an overwritten or deleted object version is kept (versioning is on, so a mistaken delete
   * can be undone for this long). Whole days, at least one.
   * @default Duration.days(30)
   */
  readonly noncurrentVersionExpiration?: Duration;
  /**
   * How long the bucket's server access logs are kept. Whole days, at least one.
   * @default Duration.days(90)
   */
  readonly accessLogsExpiration?: Duration;
  /**
   * What happens to the bucket, the log bucket and the table when the stack is deleted. Datasets and
   * run metadata are the teams' data, so they are kept unless this says otherwise.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Where Attune keeps what teams give it and what it learns: one S3 bucket for datasets and artifacts
 * (private, TLS only, encrypted, versioned, access-logged) and one DynamoDB single table for metadata
 * (on-demand, point-in-time recovery, `pk`/`sk` keys, a `gsi1` lookup index and a TTL on `expiresAt`).
 *
 * Bind functions with {@link bindTable} and {@link bindBucket}: each sets the environment variable the
 * handler reads and grants exactly the access named, so the two cannot disagree.
 */
export class AttuneStorage extends Construct {
  /** The datasets-and-artifacts bucket (this construct's default child, `Resource`). */
  readonly bucket: Bucket;
  /** The bucket that receives the data bucket's server access logs. */
  readonly accessLogsBucket: Bucket;
  /** The single metadata table. */
  readonly table: Table;
  /** The customer-managed key, when `encryption` is `KMS`. */
  readonly encryptionKey?: Key;

  constructor(scope: Construct, id: string, props: AttuneStorageProps = {}) {
    super(scope, id);
    const encryption = props.encryption ?? BucketEncryption.S3_MANAGED;
    if (encryption !== BucketEncryption.S3_MANAGED && encryption !== BucketEncryption.KMS) {
      throw new ConfigError(`${this.node.path}: encryption must be S3_MANAGED or KMS, got ${encryption}`);
    }
    const abortAfter = wholeDays(this, 'abortIncompleteUploadsAfter', props.abortIncompleteUploadsAfter, 7);
    const noncurrentAfter = wholeDays(
      this,
      'noncurrentVersionExpiration',
      props.noncurrentVersionExpiration,
      30,
    );
    const logsAfter = wholeDays(this, 'accessLogsExpiration', props.accessLogsExpiration, 90);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.accessLogsBucket = new Bucket(this, 'AccessLogs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: BucketEncryption.S3_MANAGED,
      lifecycleRules: [{ id: 'ExpireAccessLogs', expiration: Duration.days(logsAfter) }],
      removalPolicy,
    });
    Validations.of(this.accessLogsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This bucket is the destination of the data bucket’s server access logs; logging it too would need a third bucket and so on without end.',
    });

    if (encryption === BucketEncryption.KMS) {
      this.encryptionKey = new Key(this, 'Key', {
        description: 'Encrypts Attune datasets and artifacts',
        enableKeyRotation: true,
        removalPolicy,
      });
    }

    this.bucket = new Bucket(this, 'Resource', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption,
      encryptionKey: this.encryptionKey,
      bucketKeyEnabled: encryption === BucketEncryption.KMS,
      versioned: true,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'data-bucket/',
      lifecycleRules: [
        {
          id: 'AbortIncompleteUploads',
          abortIncompleteMultipartUploadAfter: Duration.days(abortAfter),
        },
        {
          id: 'ExpireNoncurrentVersions',
          noncurrentVersionExpiration: Duration.days(noncurrentAfter),
          expiredObjectDeleteMarker: true,
        },
      ],
      removalPolicy,
    });

    this.table = new Table(this, 'Table', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      // Served completions and Idempotency-Key claims carry an expiry; DynamoDB deletes them after it.
      timeToLiveAttribute: TTL_ATTRIBUTE,
      removalPolicy,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: LOOKUP_INDEX_NAME,
      partitionKey: { name: 'gsi1pk', type: AttributeType.STRING },
      sortKey: { name: 'gsi1sk', type: AttributeType.STRING },
    });
  }

  /**
   * Give `fn` the table: sets `TABLE_NAME` and grants the item actions `access` names on the table and
   * its `gsi1` index (and no other index, and never Scan).
   */
  bindTable(fn: LambdaFunction, access: TableAccess): void {
    fn.addEnvironment(TABLE_NAME_ENV, this.table.tableName);
    this.grantTable(fn, access);
  }

  /** Grant the item actions `access` names on the table and its `gsi1` index. */
  grantTable(grantee: IGrantable, access: TableAccess): void {
    const actions =
      access === TableAccess.READ_WRITE
        ? [...TABLE_READ_ACTIONS, ...TABLE_WRITE_ACTIONS, ...TABLE_DELETE_ACTIONS]
        : [...TABLE_READ_ACTIONS, ...TABLE_WRITE_ACTIONS];
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions,
        resources: [this.table.tableArn, `${this.table.tableArn}/index/${LOOKUP_INDEX_NAME}`],
      }),
    );
  }

  /**
   * Give `fn` the bucket's `teams/` prefix: sets `BUCKET_NAME` and grants the object actions `access`
   * names there (plus the key's use, when the bucket is KMS-encrypted).
   */
  bindBucket(fn: LambdaFunction, access: BucketAccess): void {
    fn.addEnvironment(BUCKET_NAME_ENV, this.bucket.bucketName);
    this.grantTeamObjects(fn, access);
  }

  /** Grant the object actions `access` names under `teams/`, and nothing outside it. */
  grantTeamObjects(grantee: IGrantable, access: BucketAccess): void {
    const teamObjects = this.bucket.arnForObjects(`${TEAMS_PREFIX}*`);
    const principal = grantee.grantPrincipal;
    if (Construct.isConstruct(principal)) {
      const bucketId = Stack.of(this).resolve((this.bucket.node.defaultChild as CfnBucket).logicalId);
      Validations.of(principal).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${TEAMS_PREFIX}*]`,
        reason:
          'Each team’s objects live under teams/{team}/; one handler serves every team, so it needs the teams/ prefix as a whole. The wildcard stops at that prefix, and which team a key belongs to is enforced in code from the authenticated key.',
      });
    }
    const writes = access === BucketAccess.READ_WRITE;
    principal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: writes ? [...OBJECT_READ_ACTIONS, ...OBJECT_WRITE_ACTIONS] : OBJECT_READ_ACTIONS,
        resources: [teamObjects],
      }),
    );
    if (writes) {
      // Listing the prefix also turns a missing key into 404 NoSuchKey rather than 403 AccessDenied.
      principal.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['s3:ListBucket'],
          resources: [this.bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': [`${TEAMS_PREFIX}*`] } },
        }),
      );
    }
    if (this.encryptionKey) {
      if (writes) this.encryptionKey.grantEncryptDecrypt(grantee);
      else this.encryptionKey.grantDecrypt(grantee);
    }
  }
}

/** Reads an optional whole-days Duration prop, rejecting fractions and anything under a day at once. */
function wholeDays(scope: Construct, name: string, value: Duration | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const seconds = value.toSeconds();
  if (seconds < 86_400 || seconds % 86_400 !== 0) {
    throw new ConfigError(`${scope.node.path}: ${name} must be a whole number of days, at least 1`);
  }
  return seconds / 86_400;
}

import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { AttuneApi } from './constructs/api.ts';
import { AttuneIngestion } from './constructs/ingestion.ts';
import { AttuneStorage } from './constructs/storage.ts';

/** Properties of {@link AttuneStack}. */
export interface AttuneStackProps extends StackProps {
  /**
   * The largest file `POST /v1/files` accepts, in bytes.
   * @default 4 MiB (see `AttuneApiProps.maxUploadBytes`)
   */
  readonly maxUploadBytes?: number;
  /**
   * How long every Attune log group (Lambda logs, API access logs) keeps its logs.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/**
 * Attune in one stack: storage (bucket + table), the HTTPS API, and dataset ingestion. Environment-
 * agnostic on purpose (no account, region or lookups), so `cdk synth` needs no credentials and the
 * same template deploys anywhere.
 */
export class AttuneStack extends Stack {
  readonly storage: AttuneStorage;
  readonly api: AttuneApi;
  readonly ingestion: AttuneIngestion;

  constructor(scope: Construct, id: string, props: AttuneStackProps = {}) {
    super(scope, id, props);
    this.storage = new AttuneStorage(this, 'Storage');
    this.api = new AttuneApi(this, 'Api', {
      storage: this.storage,
      maxUploadBytes: props.maxUploadBytes,
      logRetention: props.logRetention,
    });
    this.ingestion = new AttuneIngestion(this, 'Ingestion', {
      storage: this.storage,
      logRetention: props.logRetention,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the Attune API' });
    new CfnOutput(this, 'BucketName', { value: this.storage.bucket.bucketName });
    new CfnOutput(this, 'TableName', { value: this.storage.table.tableName });
    new CfnOutput(this, 'IngestionDeadLetterQueueUrl', { value: this.ingestion.deadLetterQueue.queueUrl });
  }
}

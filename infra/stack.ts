import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { AttuneApi } from './constructs/api.ts';
import { AttuneInference, type AttuneInferenceProps } from './constructs/inference.ts';
import { AttuneIngestion } from './constructs/ingestion.ts';
import { AttuneJobStatus } from './constructs/job-status.ts';
import { AttuneNetwork } from './constructs/network.ts';
import { AttuneStorage } from './constructs/storage.ts';
import { AttuneTraining, type AttuneTrainingProps } from './constructs/training.ts';

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
  /**
   * The training queues' instance types and vCPU ceilings (see `AttuneTrainingProps`).
   * @default the training construct's defaults
   */
  readonly training?: Pick<
    AttuneTrainingProps,
    'gpuInstanceTypes' | 'gpuMaxVcpus' | 'cpuInstanceTypes' | 'cpuMaxVcpus'
  >;
  /**
   * How many Availability Zones the training VPC spans (1 or 2; see `AttuneNetworkProps.maxAzs`).
   * @default 2
   */
  readonly trainingAzs?: number;
  /**
   * The inference Lambda's memory, reserved and provisioned concurrency (see `AttuneInferenceProps`).
   * @default the inference construct's defaults (3008 MB, no reservation, no provisioned concurrency)
   */
  readonly inference?: Pick<
    AttuneInferenceProps,
    'memorySize' | 'reservedConcurrency' | 'provisionedConcurrency'
  >;
}

/**
 * Attune in one stack: storage (bucket + table), the HTTPS API, dataset ingestion, inference (its own
 * Lambda behind the completion routes), and training on AWS Batch (a VPC without NAT, the GPU and
 * small-instance queues, and the job status rule and Lambda). Environment-agnostic on purpose (no
 * account, region or lookups), so `cdk synth` needs no credentials and the same template deploys anywhere.
 */
export class AttuneStack extends Stack {
  readonly storage: AttuneStorage;
  readonly api: AttuneApi;
  readonly ingestion: AttuneIngestion;
  readonly network: AttuneNetwork;
  readonly training: AttuneTraining;
  readonly jobStatus: AttuneJobStatus;
  readonly inference: AttuneInference;

  constructor(scope: Construct, id: string, props: AttuneStackProps = {}) {
    super(scope, id, props);
    this.storage = new AttuneStorage(this, 'Storage');
    // Training first: its props come from context, and a bad one should stop synth before any bundling.
    this.network = new AttuneNetwork(this, 'Network', {
      maxAzs: props.trainingAzs,
      flowLogRetention: props.logRetention,
    });
    this.training = new AttuneTraining(this, 'Training', {
      ...props.training,
      storage: this.storage,
      vpc: this.network.vpc,
      logRetention: props.logRetention,
    });
    this.api = new AttuneApi(this, 'Api', {
      storage: this.storage,
      maxUploadBytes: props.maxUploadBytes,
      logRetention: props.logRetention,
    });
    this.ingestion = new AttuneIngestion(this, 'Ingestion', {
      storage: this.storage,
      logRetention: props.logRetention,
    });
    this.inference = new AttuneInference(this, 'Inference', {
      ...props.inference,
      storage: this.storage,
      httpApi: this.api.httpApi,
      logRetention: props.logRetention,
    });
    this.training.bindDispatcher(this.api.handler);
    this.training.grantSubmit(this.api.handler);
    this.jobStatus = new AttuneJobStatus(this, 'JobStatus', {
      storage: this.storage,
      training: this.training,
      logRetention: props.logRetention,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the Attune API' });
    new CfnOutput(this, 'BucketName', { value: this.storage.bucket.bucketName });
    new CfnOutput(this, 'TableName', { value: this.storage.table.tableName });
    new CfnOutput(this, 'IngestionDeadLetterQueueUrl', { value: this.ingestion.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'GpuJobQueue', { value: this.training.gpu.queue.jobQueueName });
    new CfnOutput(this, 'CpuJobQueue', { value: this.training.cpu.queue.jobQueueName });
    new CfnOutput(this, 'JobStatusDeadLetterQueueUrl', { value: this.jobStatus.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'InferenceFunctionName', {
      value: this.inference.handler.functionName,
      description:
        'The inference Lambda behind POST /v1/completions and /v1/chat/completions (its logs, its metrics)',
    });
  }
}

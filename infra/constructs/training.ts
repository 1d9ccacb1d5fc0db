import { Duration, Size, Stack, Validations } from 'aws-cdk-lib';
import {
  Action,
  AllocationStrategy,
  EcsEc2ContainerDefinition,
  EcsJobDefinition,
  EcsMachineImageType,
  type IManagedEc2EcsComputeEnvironment,
  JobQueue,
  JobStateTimeLimitActionsReason,
  ManagedEc2EcsComputeEnvironment,
  Reason,
  RetryStrategy,
} from 'aws-cdk-lib/aws-batch';
import { type IVpc, LaunchTemplate, Peer, Port, SecurityGroup, SubnetType } from 'aws-cdk-lib/aws-ec2';
import type { DockerImageAsset } from 'aws-cdk-lib/aws-ecr-assets';
import { ContainerImage, LogDrivers } from 'aws-cdk-lib/aws-ecs';
import { type IGrantable, ManagedPolicy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { HOST_TERMINATED_REASON, JOB_TAG, MAX_ATTEMPTS, TEAM_TAG } from '#aws/batch-dispatcher.ts';
import { MAX_TIMEOUT_SECONDS, SMALL_INSTANCE_TYPES } from '#core/jobs/dispatch.ts';
import type { QueueKind } from '#core/jobs/job.ts';
import { requireMaxVcpus, trainerInstanceTypes } from './instance-types.ts';
import { type AttuneStorage, BUCKET_NAME_ENV, TABLE_NAME_ENV } from './storage.ts';
import { TRAINER_DOCKERFILES, trainerImageAsset } from './trainer-image.ts';
import { trainerJobRole } from './trainer-role.ts';

/** The variables through which `batchDispatcherFromEnv` (functions/aws/batch-dispatcher.ts) finds Batch. */
export const DISPATCHER_ENV = {
  gpuQueue: 'ATTUNE_GPU_JOB_QUEUE',
  gpuJobDefinition: 'ATTUNE_GPU_JOB_DEFINITION',
  cpuQueue: 'ATTUNE_CPU_JOB_QUEUE',
  cpuJobDefinition: 'ATTUNE_CPU_JOB_DEFINITION',
} as const;

/** The single-GPU g5 sizes: every single-GPU plan of the estimator (g4dn, g5, g6, p3.2xlarge) fits one. */
export const DEFAULT_GPU_INSTANCE_TYPES: readonly string[] = [
  'g5.xlarge',
  'g5.2xlarge',
  'g5.4xlarge',
  'g5.8xlarge',
  'g5.16xlarge',
];
export const DEFAULT_GPU_MAX_VCPUS = 64;
/** The small-instance queue's types are the ones the dispatcher plans prompt tunes for. */
export const DEFAULT_CPU_INSTANCE_TYPES: readonly string[] = SMALL_INSTANCE_TYPES;
export const DEFAULT_CPU_MAX_VCPUS = 32;

/** What a job definition asks for when a job is submitted without overrides (the dispatcher always sends them). */
const DEFAULT_RESOURCES: Readonly<Record<QueueKind, { vcpus: number; memoryMiB: number; gpus: number }>> = {
  gpu: { vcpus: 4, memoryMiB: 14_745, gpus: 1 }, // g5.xlarge less the 10 % the ECS agent and OS keep
  cpu: { vcpus: 2, memoryMiB: 3_686, gpus: 0 }, // c7i.large, likewise
};

/** A job stuck RUNNABLE for a reason that never clears (no instance type or vCPU ceiling fits it) is cancelled. */
const STUCK_JOB_LIMIT = Duration.minutes(10);

/** Properties of {@link AttuneTraining}. */
export interface AttuneTrainingProps {
  /** The bucket and table the trainer reads and writes. */
  readonly storage: AttuneStorage;
  /** The VPC whose isolated subnets the training hosts run in (see `AttuneNetwork`). */
  readonly vpc: IVpc;
  /**
   * Instance types of the GPU queue's compute environments: x86-64 with NVIDIA GPUs.
   * @default DEFAULT_GPU_INSTANCE_TYPES (g5.xlarge to g5.16xlarge)
   */
  readonly gpuInstanceTypes?: readonly string[];
  /**
   * The most vCPUs each GPU compute environment (Spot, and the on-demand fallback) runs at once.
   * @default 64
   */
  readonly gpuMaxVcpus?: number;
  /**
   * Instance types of the small-instance queue: x86-64 without GPUs.
   * @default SMALL_INSTANCE_TYPES of functions/core/jobs/dispatch.ts (c7i.large … m7i.xlarge)
   */
  readonly cpuInstanceTypes?: readonly string[];
  /**
   * The most vCPUs the small-instance compute environment runs at once.
   * @default 32
   */
  readonly cpuMaxVcpus?: number;
  /**
   * How long the trainer's logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/** One queue's parts. */
export interface TrainingQueue {
  readonly queue: JobQueue;
  readonly jobDefinition: EcsJobDefinition;
  readonly image: DockerImageAsset;
  /** In the order the queue tries them. */
  readonly computeEnvironments: readonly IManagedEc2EcsComputeEnvironment[];
}

/**
 * Training on AWS Batch: a GPU queue for full fine-tunes, served first by a Spot compute environment and
 * then by an on-demand one of the same instance types, and a queue of small on-demand CPU instances for
 * prompt tunes. Every environment scales to zero, runs in the VPC's isolated subnets behind a security
 * group that only lets HTTPS out, and launches hosts that require IMDSv2 with a hop limit of 1 (so a job's
 * container cannot borrow the host's role). Each queue has a job definition whose image is built from
 * containers/trainer; jobs run as one least-privilege role (see `trainerJobRole`) and log to one group.
 *
 * Give a function the dispatcher with {@link bindDispatcher} (environment) and {@link grantSubmit}.
 */
export class AttuneTraining extends Construct {
  readonly gpu: TrainingQueue;
  readonly cpu: TrainingQueue;
  /** The role every trainer container runs as. */
  readonly jobRole: Role;
  /** The role ECS uses to pull the images and write the logs. */
  readonly executionRole: Role;
  /** The role of the EC2 hosts (the ECS agent's). */
  readonly instanceRole: Role;
  readonly securityGroup: SecurityGroup;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: AttuneTrainingProps) {
    super(scope, id);
    const path = this.node.path;
    const gpuTypes = trainerInstanceTypes(
      `${path}: gpuInstanceTypes`,
      'gpu',
      props.gpuInstanceTypes ?? DEFAULT_GPU_INSTANCE_TYPES,
    );
    const cpuTypes = trainerInstanceTypes(
      `${path}: cpuInstanceTypes`,
      'cpu',
      props.cpuInstanceTypes ?? DEFAULT_CPU_INSTANCE_TYPES,
    );
    const gpuMaxVcpus = requireMaxVcpus(`${path}: gpuMaxVcpus`, props.gpuMaxVcpus ?? DEFAULT_GPU_MAX_VCPUS);
    const cpuMaxVcpus = requireMaxVcpus(`${path}: cpuMaxVcpus`, props.cpuMaxVcpus ?? DEFAULT_CPU_MAX_VCPUS);

    this.logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention ?? RetentionDays.ONE_MONTH });
    this.jobRole = trainerJobRole(this, 'JobRole', props.storage);
    this.executionRole = new Role(this, 'ExecutionRole', {
      assumedBy: new ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'Lets ECS pull the Attune trainer images and write their logs',
    });
    this.instanceRole = new Role(this, 'InstanceRole', {
      assumedBy: new ServicePrincipal('ec2.amazonaws.com'),
      description: 'The ECS agent on Attune training hosts',
      managedPolicies: [
        ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonEC2ContainerServiceforEC2Role'),
      ],
    });
    Validations.of(this.instanceRole).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role]',
      reason:
        'AmazonEC2ContainerServiceforEC2Role is what AWS Batch documents for the ECS container instance role: it registers the host with its Batch-managed ECS cluster, which only exists once Batch creates it, so no ARN can be written here. AWS maintains it as ECS adds agent calls.',
    });
    this.securityGroup = new SecurityGroup(this, 'HostSecurityGroup', {
      vpc: props.vpc,
      description: 'Attune training hosts: nothing in, HTTPS out to the VPC endpoints',
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(Peer.anyIpv4(), Port.tcp(443), 'AWS APIs through the VPC endpoints');
    const launchTemplate = new LaunchTemplate(this, 'HostTemplate', {
      requireImdsv2: true,
      httpPutResponseHopLimit: 1,
    });

    const environment = (kind: QueueKind, spot: boolean, instanceTypes: typeof gpuTypes, maxvCpus: number) =>
      new ManagedEc2EcsComputeEnvironment(
        this,
        `${kind === 'gpu' ? 'Gpu' : 'Cpu'}${spot ? 'Spot' : 'OnDemand'}`,
        {
          vpc: props.vpc,
          vpcSubnets: { subnetType: SubnetType.PRIVATE_ISOLATED },
          securityGroups: [this.securityGroup],
          launchTemplate,
          instanceRole: this.instanceRole,
          instanceTypes,
          useOptimalInstanceClasses: false,
          images: [
            {
              imageType:
                kind === 'gpu' ? EcsMachineImageType.ECS_AL2023_NVIDIA : EcsMachineImageType.ECS_AL2023,
            },
          ],
          spot,
          allocationStrategy: spot
            ? AllocationStrategy.SPOT_PRICE_CAPACITY_OPTIMIZED
            : AllocationStrategy.BEST_FIT_PROGRESSIVE,
          minvCpus: 0,
          maxvCpus,
        },
      );

    const gpuEnvironments = [
      environment('gpu', true, gpuTypes, gpuMaxVcpus),
      environment('gpu', false, gpuTypes, gpuMaxVcpus),
    ];
    const cpuEnvironments = [environment('cpu', false, cpuTypes, cpuMaxVcpus)];
    const storageEnv = {
      [TABLE_NAME_ENV]: props.storage.table.tableName,
      [BUCKET_NAME_ENV]: props.storage.bucket.bucketName,
      AWS_REGION: Stack.of(this).region,
    };
    this.gpu = this.trainingQueue('gpu', gpuEnvironments, storageEnv);
    this.cpu = this.trainingQueue('cpu', cpuEnvironments, storageEnv);
    Validations.of(this.executionRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'The one wildcard is ecr:GetAuthorizationToken, which IAM cannot scope to a resource (a registry login token); the image pulls themselves are allowed on the CDK asset repository only, and log writes on the trainer log group only.',
    });
  }

  /** The variables `batchDispatcherFromEnv` reads: each queue's ARN and its job definition's ARN. */
  get dispatcherEnvironment(): Record<string, string> {
    return {
      [DISPATCHER_ENV.gpuQueue]: this.gpu.queue.jobQueueArn,
      [DISPATCHER_ENV.gpuJobDefinition]: this.gpu.jobDefinition.jobDefinitionArn,
      [DISPATCHER_ENV.cpuQueue]: this.cpu.queue.jobQueueArn,
      [DISPATCHER_ENV.cpuJobDefinition]: this.cpu.jobDefinition.jobDefinitionArn,
    };
  }

  /** Sets the dispatcher's variables on `fn`; grant what it may do with {@link grantSubmit} or {@link grantCancel}. */
  bindDispatcher(fn: LambdaFunction): void {
    for (const [name, value] of Object.entries(this.dispatcherEnvironment)) fn.addEnvironment(name, value);
  }

  /**
   * Lets `grantee` submit jobs to the two queues with their two job definitions (tagged with the Attune
   * team and job, as the dispatcher tags them), and cancel or terminate jobs.
   */
  grantSubmit(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['batch:SubmitJob'],
        resources: [
          this.gpu.queue.jobQueueArn,
          this.cpu.queue.jobQueueArn,
          this.gpu.jobDefinition.jobDefinitionArn,
          this.cpu.jobDefinition.jobDefinitionArn,
        ],
      }),
    );
    // Tags given to SubmitJob are authorised as batch:TagResource on the new job.
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['batch:TagResource'],
        resources: [this.jobsArn()],
        conditions: { 'ForAllValues:StringEquals': { 'aws:TagKeys': [TEAM_TAG, JOB_TAG] } },
      }),
    );
    this.grantCancel(grantee);
  }

  /** Lets `grantee` cancel a queued job and terminate a running one (`CancelJob`, `TerminateJob`). */
  grantCancel(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['batch:CancelJob', 'batch:TerminateJob'],
        resources: [this.jobsArn()],
      }),
    );
    if (Construct.isConstruct(grantee.grantPrincipal)) {
      Validations.of(grantee.grantPrincipal).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:batch:<AWS::Region>:<AWS::AccountId>:job/*]',
        reason:
          'A Batch job ARN is its id, known only after SubmitJob returns it, so cancelling, terminating and tagging a job can only name job/* in this account and region; SubmitJob itself is limited to the two Attune queues and job definitions.',
      });
    }
  }

  private jobsArn(): string {
    return Stack.of(this).formatArn({ service: 'batch', resource: 'job', resourceName: '*' });
  }

  private trainingQueue(
    kind: QueueKind,
    computeEnvironments: IManagedEc2EcsComputeEnvironment[],
    environment: Record<string, string>,
  ): TrainingQueue {
    const name = kind === 'gpu' ? 'Gpu' : 'Cpu';
    const image = trainerImageAsset(this, `${name}Image`, TRAINER_DOCKERFILES[kind]);
    const resources = DEFAULT_RESOURCES[kind];
    const container = new EcsEc2ContainerDefinition(this, `${name}Container`, {
      image: ContainerImage.fromDockerImageAsset(image),
      cpu: resources.vcpus,
      memory: Size.mebibytes(resources.memoryMiB),
      gpu: resources.gpus > 0 ? resources.gpus : undefined,
      environment,
      jobRole: this.jobRole,
      executionRole: this.executionRole,
      logging: LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: `trainer-${kind}` }),
    });
    const jobDefinition = new EcsJobDefinition(this, `${name}JobDefinition`, {
      container,
      propagateTags: true,
      timeout: Duration.seconds(MAX_TIMEOUT_SECONDS),
      retryAttempts: MAX_ATTEMPTS,
      retryStrategies: [
        RetryStrategy.of(Action.RETRY, Reason.custom({ onStatusReason: HOST_TERMINATED_REASON })),
        RetryStrategy.of(Action.EXIT, Reason.custom({ onReason: '*' })),
      ],
    });
    const queue = new JobQueue(this, `${name}Queue`, {
      priority: 1,
      computeEnvironments: computeEnvironments.map((computeEnvironment, index) => ({
        computeEnvironment,
        order: index + 1,
      })),
      jobStateTimeLimitActions: [
        { reason: JobStateTimeLimitActionsReason.JOB_RESOURCE_REQUIREMENT, maxTime: STUCK_JOB_LIMIT },
        { reason: JobStateTimeLimitActionsReason.COMPUTE_ENVIRONMENT_MAX_RESOURCE, maxTime: STUCK_JOB_LIMIT },
      ],
    });
    return { queue, jobDefinition, image, computeEnvironments };
  }
}

import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AccountRootPrincipal, Role } from 'aws-cdk-lib/aws-iam';
import { BucketEncryption } from 'aws-cdk-lib/aws-s3';
import type { AssetManifestArtifact } from 'aws-cdk-lib/cx-api';
import { describe, expect, it } from 'vitest';
import { batchDispatcherOptionsFromEnv, RETRY_STRATEGY } from '#aws/batch-dispatcher.ts';
import { MAX_TIMEOUT_SECONDS, SMALL_INSTANCE_TYPES } from '#core/jobs/dispatch.ts';
import { AttuneNetwork } from '../../infra/constructs/network.ts';
import { AttuneStorage } from '../../infra/constructs/storage.ts';
import {
  AttuneTraining,
  DEFAULT_GPU_INSTANCE_TYPES,
  DISPATCHER_ENV,
} from '../../infra/constructs/training.ts';
import { allowedActions, newTestStack, policyStatements } from './cdk-test-app.ts';
import { logicalIdOf, trainingStack } from './training-stack.ts';

/** The compute environments of a template, by logical id. */
function computeEnvironments(template: Template) {
  return template.findResources('AWS::Batch::ComputeEnvironment') as Record<
    string,
    { Properties: { ComputeResources: Record<string, unknown> } }
  >;
}

/** The compute environment ids a queue tries, in its order. */
function queueOrder(template: Template, queueId: string): string[] {
  const queue = template.toJSON().Resources[queueId].Properties;
  return [...queue.ComputeEnvironmentOrder]
    .sort((a: { Order: number }, b: { Order: number }) => a.Order - b.Order)
    .map(
      (entry: { ComputeEnvironment: { 'Fn::GetAtt': [string, string] } }) =>
        entry.ComputeEnvironment['Fn::GetAtt'][0],
    );
}

describe('AttuneTraining compute environments', () => {
  it('Given defaults, when the GPU queue is read, then it tries a Spot g5 environment first and an on-demand one second', () => {
    const { stack, template, training } = trainingStack();
    const [first, second] = queueOrder(template, logicalIdOf(training.gpu.queue, stack));
    const environments = computeEnvironments(template);
    expect(environments[first ?? '']?.Properties.ComputeResources).toMatchObject({
      Type: 'SPOT',
      AllocationStrategy: 'SPOT_PRICE_CAPACITY_OPTIMIZED',
      InstanceTypes: [...DEFAULT_GPU_INSTANCE_TYPES],
      Ec2Configuration: [{ ImageType: 'ECS_AL2023_NVIDIA' }],
      MinvCpus: 0,
      MaxvCpus: 64,
    });
    expect(environments[second ?? '']?.Properties.ComputeResources).toMatchObject({
      Type: 'EC2',
      InstanceTypes: [...DEFAULT_GPU_INSTANCE_TYPES],
      Ec2Configuration: [{ ImageType: 'ECS_AL2023_NVIDIA' }],
      MinvCpus: 0,
      MaxvCpus: 64,
    });
  });

  it('Given defaults, when the CPU queue is read, then it has one on-demand environment of the dispatcher’s small instances', () => {
    const { stack, template, training } = trainingStack();
    const order = queueOrder(template, logicalIdOf(training.cpu.queue, stack));
    expect(order).toHaveLength(1);
    expect(computeEnvironments(template)[order[0] ?? '']?.Properties.ComputeResources).toMatchObject({
      Type: 'EC2',
      InstanceTypes: [...SMALL_INSTANCE_TYPES],
      Ec2Configuration: [{ ImageType: 'ECS_AL2023' }],
      MaxvCpus: 32,
    });
  });

  it('Given instance types and vCPU ceilings, when synthesised, then every environment uses exactly them', () => {
    const { template } = trainingStack({
      gpuInstanceTypes: ['g6.xlarge', 'g5.2xlarge'],
      gpuMaxVcpus: 16,
      cpuInstanceTypes: ['m7i.large'],
      cpuMaxVcpus: 4,
    });
    const resources = Object.values(computeEnvironments(template)).map(
      (ce) => ce.Properties.ComputeResources,
    );
    expect(resources.map((r) => [r.InstanceTypes, r.MaxvCpus])).toEqual([
      [['g6.xlarge', 'g5.2xlarge'], 16],
      [['g6.xlarge', 'g5.2xlarge'], 16],
      [['m7i.large'], 4],
    ]);
  });

  it('Given defaults, then the hosts run in isolated subnets, require IMDSv2 with one hop, and may only send HTTPS', () => {
    const { template } = trainingStack();
    for (const ce of Object.values(computeEnvironments(template))) {
      const subnets = ce.Properties.ComputeResources.Subnets as { Ref: string }[];
      expect(subnets.map((s) => s.Ref)).toEqual([
        expect.stringMatching(/^NetworkTrainingSubnet1/),
        expect.stringMatching(/^NetworkTrainingSubnet2/),
      ]);
    }
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: { MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 } },
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('training hosts'),
      SecurityGroupEgress: [
        Match.objectLike({ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }),
      ],
      SecurityGroupIngress: Match.absent(),
    });
  });

  it('Given defaults, then a job that no instance or vCPU ceiling can ever fit is cancelled after ten minutes', () => {
    const { template } = trainingStack();
    const queues = Object.values(template.findResources('AWS::Batch::JobQueue'));
    expect(queues).toHaveLength(2);
    for (const queue of queues) {
      expect(queue.Properties.JobStateTimeLimitActions).toEqual([
        {
          Action: 'CANCEL',
          MaxTimeSeconds: 600,
          Reason: 'MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT',
          State: 'RUNNABLE',
        },
        {
          Action: 'CANCEL',
          MaxTimeSeconds: 600,
          Reason: 'MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE',
          State: 'RUNNABLE',
        },
      ]);
    }
  });
});

describe('AttuneTraining job definitions', () => {
  it('Given defaults, then each job definition runs its own trainer image asset, built from its Dockerfile for x86-64', () => {
    const { app, stack, template, training } = trainingStack();
    const manifest = app.synth().tryGetArtifact(`${stack.artifactId}.assets`) as AssetManifestArtifact;
    for (const [kind, queue] of [
      ['gpu', training.gpu],
      ['cpu', training.cpu],
    ] as const) {
      const definition = template.toJSON().Resources[logicalIdOf(queue.jobDefinition, stack)].Properties;
      expect(definition.ContainerProperties.Image).toEqual(stack.resolve(queue.image.imageUri));
      expect(manifest.contents.dockerImages?.[queue.image.assetHash]?.source).toMatchObject({
        dockerFile: `containers/trainer/Dockerfile.${kind}`,
        platform: 'linux/amd64',
      });
    }
    expect(training.gpu.image.assetHash).not.toBe(training.cpu.image.assetHash);
  });

  it('Given defaults, then the GPU definition asks for one GPU and the CPU definition for none', () => {
    const { stack, template, training } = trainingStack();
    const requirements = (queue: typeof training.gpu) =>
      template.toJSON().Resources[logicalIdOf(queue.jobDefinition, stack)].Properties.ContainerProperties
        .ResourceRequirements;
    expect(requirements(training.gpu)).toEqual([
      { Type: 'MEMORY', Value: '14745' },
      { Type: 'VCPU', Value: '4' },
      { Type: 'GPU', Value: '1' },
    ]);
    expect(requirements(training.cpu)).toEqual([
      { Type: 'MEMORY', Value: '3686' },
      { Type: 'VCPU', Value: '2' },
    ]);
  });

  it('Given defaults, then both definitions pass the table, bucket and region, log to the trainer log group and run as the job role', () => {
    const { stack, template, storage, training } = trainingStack();
    const definitions = Object.values(template.findResources('AWS::Batch::JobDefinition'));
    expect(definitions).toHaveLength(2);
    for (const definition of definitions) {
      expect(definition.Properties.ContainerProperties).toMatchObject({
        Environment: [
          { Name: 'TABLE_NAME', Value: { Ref: logicalIdOf(storage.table, stack) } },
          { Name: 'BUCKET_NAME', Value: { Ref: logicalIdOf(storage.bucket, stack) } },
          { Name: 'AWS_REGION', Value: { Ref: 'AWS::Region' } },
        ],
        JobRoleArn: { 'Fn::GetAtt': [logicalIdOf(training.jobRole, stack), 'Arn'] },
        ExecutionRoleArn: { 'Fn::GetAtt': [logicalIdOf(training.executionRole, stack), 'Arn'] },
        LogConfiguration: {
          LogDriver: 'awslogs',
          Options: expect.objectContaining({
            'awslogs-group': { Ref: logicalIdOf(training.logGroup, stack) },
          }),
        },
      });
    }
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('Given defaults, then both definitions retry host terminations only, as the dispatcher does, propagate tags and cap a run at a week', () => {
    const { template } = trainingStack();
    for (const definition of Object.values(template.findResources('AWS::Batch::JobDefinition'))) {
      expect(definition.Properties).toMatchObject({
        RetryStrategy: {
          Attempts: RETRY_STRATEGY.attempts,
          EvaluateOnExit: [
            { Action: 'RETRY', OnStatusReason: 'Host EC2*' },
            { Action: 'EXIT', OnReason: '*' },
          ],
        },
        PropagateTags: true,
        Timeout: { AttemptDurationSeconds: MAX_TIMEOUT_SECONDS },
      });
    }
    expect(RETRY_STRATEGY.evaluateOnExit?.map((rule) => rule.onStatusReason ?? rule.onReason)).toEqual([
      'Host EC2*',
      '*',
    ]);
  });
});

describe('AttuneTraining job role', () => {
  /** The statements of the job role's policy. */
  function jobRoleStatements() {
    const { stack, storage, template, training } = trainingStack();
    const roleId = logicalIdOf(training.jobRole, stack);
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
      JSON.stringify(policy.Properties.Roles).includes(roleId),
    );
    const statements = policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    return { statements, bucketId: logicalIdOf(storage.bucket, stack) };
  }

  const objects = (bucketId: string, pattern: string) => ({
    'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, `/${pattern}`]],
  });

  it('Given defaults, then a job may read team files and read and write checkpoints and models, and no other objects', () => {
    const { statements, bucketId } = jobRoleStatements();
    const s3 = statements.filter((s: { Action: string | string[] }) =>
      [s.Action].flat().some((a) => a.startsWith('s3:') && a !== 's3:ListBucket'),
    );
    expect(s3).toEqual([
      expect.objectContaining({ Action: 's3:GetObject', Resource: objects(bucketId, 'teams/*/files/*') }),
      expect.objectContaining({
        Action: ['s3:GetObject', 's3:PutObject'],
        Resource: [objects(bucketId, 'teams/*/checkpoints/*'), objects(bucketId, 'teams/*/models/*')],
      }),
    ]);
  });

  it('Given defaults, then a job may list only the checkpoint and model prefixes (so a missing key is a 404)', () => {
    const { statements, bucketId } = jobRoleStatements();
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: 's3:ListBucket',
        Resource: { 'Fn::GetAtt': [bucketId, 'Arn'] },
        Condition: { StringLike: { 's3:prefix': ['teams/*/checkpoints/*', 'teams/*/models/*'] } },
      }),
    );
  });

  it('Given defaults, then a job may write table items but neither delete nor scan them', () => {
    const { statements } = jobRoleStatements();
    const dynamo = statements
      .flatMap((s: { Action: string | string[] }) => [s.Action].flat())
      .filter((a: string) => a.startsWith('dynamodb:'));
    expect(dynamo).toEqual(
      expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']),
    );
    expect(dynamo).not.toContain('dynamodb:DeleteItem');
    expect(dynamo).not.toContain('dynamodb:Scan');
  });

  it('Given a KMS-encrypted bucket, then a job may use the bucket’s key to read and write objects', () => {
    const { stack } = newTestStack();
    const storage = new AttuneStorage(stack, 'Storage', { encryption: BucketEncryption.KMS });
    const network = new AttuneNetwork(stack, 'Network');
    const training = new AttuneTraining(stack, 'Training', { storage, vpc: network.vpc });
    const roleId = logicalIdOf(training.jobRole, stack);
    const statements = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(roleId))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey*']),
        Resource: { 'Fn::GetAtt': [logicalIdOf(storage.encryptionKey as never, stack), 'Arn'] },
      }),
    );
  });

  it('Given defaults, then the execution role may pull from the asset repository and write to the trainer log group', () => {
    const { stack, template, training } = trainingStack();
    const roleId = logicalIdOf(training.executionRole, stack);
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(roleId))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    const actions = statements.flatMap((s: { Action: string | string[] }) => [s.Action].flat());
    expect(actions).toEqual(
      expect.arrayContaining([
        'ecr:BatchGetImage',
        'ecr:GetDownloadUrlForLayer',
        'ecr:GetAuthorizationToken',
      ]),
    );
    expect(actions).toEqual(expect.arrayContaining(['logs:CreateLogStream', 'logs:PutLogEvents']));
    expect(actions.filter((a: string) => a.startsWith('s3:') || a.startsWith('dynamodb:'))).toEqual([]);
  });
});

describe('AttuneTraining dispatcher grants', () => {
  /** A training stack with a role granted submit (or only cancel). */
  function grantedStack(grant: 'submit' | 'cancel') {
    return trainingStack({}, (stack, training) => {
      const role = new Role(stack, 'Dispatcher', { assumedBy: new AccountRootPrincipal() });
      if (grant === 'submit') training.grantSubmit(role);
      else training.grantCancel(role);
    });
  }

  const jobsArn = {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':batch:',
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        ':job/*',
      ],
    ],
  };

  it('Given grantSubmit, then SubmitJob is allowed on exactly the two queues and the two job definitions', () => {
    const { stack, template, training } = grantedStack('submit');
    const submit = policyStatements(template).filter((s) => [s.Action].flat().includes('batch:SubmitJob'));
    expect(submit).toHaveLength(1);
    expect(submit[0]?.Action).toBe('batch:SubmitJob');
    expect(submit[0]?.Resource).toEqual(
      expect.arrayContaining([
        { 'Fn::GetAtt': [logicalIdOf(training.gpu.queue, stack), 'JobQueueArn'] },
        { 'Fn::GetAtt': [logicalIdOf(training.cpu.queue, stack), 'JobQueueArn'] },
        { Ref: logicalIdOf(training.gpu.jobDefinition, stack) },
        { Ref: logicalIdOf(training.cpu.jobDefinition, stack) },
      ]),
    );
    expect(submit[0]?.Resource).toHaveLength(4);
  });

  it('Given grantSubmit, then the new job may be tagged with the Attune team and job tags only', () => {
    const { template } = grantedStack('submit');
    expect(policyStatements(template)).toContainEqual(
      expect.objectContaining({
        Action: 'batch:TagResource',
        Resource: jobsArn,
        Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['attune:team', 'attune:job'] } },
      }),
    );
  });

  it('Given grantSubmit, then CancelJob and TerminateJob are allowed on jobs, and no other Batch action', () => {
    const { template } = grantedStack('submit');
    expect(policyStatements(template)).toContainEqual(
      expect.objectContaining({ Action: ['batch:CancelJob', 'batch:TerminateJob'], Resource: jobsArn }),
    );
    expect(new Set(allowedActions(template).filter((a) => a.startsWith('batch:')))).toEqual(
      new Set(['batch:SubmitJob', 'batch:TagResource', 'batch:CancelJob', 'batch:TerminateJob']),
    );
  });

  it('Given grantCancel, then only CancelJob and TerminateJob are allowed', () => {
    const { template } = grantedStack('cancel');
    expect(allowedActions(template).filter((a) => a.startsWith('batch:'))).toEqual([
      'batch:CancelJob',
      'batch:TerminateJob',
    ]);
  });

  it('Given the dispatcher environment, when the dispatcher reads it, then it finds both queues and definitions', () => {
    const { stack, training } = trainingStack();
    const env = Stack.of(stack).resolve(training.dispatcherEnvironment) as Record<string, unknown>;
    expect(Object.keys(env).sort()).toEqual(Object.values(DISPATCHER_ENV).sort());
    const asStrings = Object.fromEntries(
      Object.entries(env).map(([name, value]) => [name, JSON.stringify(value)]),
    );
    const options = batchDispatcherOptionsFromEnv(asStrings, { tableName: 't', bucketName: 'b' });
    expect(options.queues.gpu).toContain(logicalIdOf(training.gpu.queue, stack));
    expect(options.jobDefinitions.cpu).toContain(logicalIdOf(training.cpu.jobDefinition, stack));
  });
});

describe('AttuneTraining rejects bad props at once', () => {
  it.each([
    [[], /gpuInstanceTypes must name at least one instance type/],
    [['c7i.xlarge'], /"c7i.xlarge" has no NVIDIA GPU/],
    [['g4ad.xlarge'], /"g4ad.xlarge" has no NVIDIA GPU/],
    [['g5g.xlarge'], /"g5g.xlarge" is an arm64 \(Graviton\) type/],
    [['G5.XLARGE'], /"G5.XLARGE" is not an EC2 instance type/],
    [['g5'], /"g5" is not an EC2 instance type \(family.size/],
    [['g5.xlarge', 'g5.xlarge'], /"g5.xlarge" is listed twice/],
  ])('Given gpuInstanceTypes %j, then the constructor throws', (gpuInstanceTypes, message) => {
    expect(() => trainingStack({ gpuInstanceTypes })).toThrow(message);
  });

  it.each([
    [['g5.xlarge'], /cpuInstanceTypes: "g5.xlarge" is a GPU type/],
    [['c7g.large'], /cpuInstanceTypes: "c7g.large" is an arm64/],
    [['c7i.large', 'c7i large'], /"c7i large" is not an EC2 instance type/],
  ])('Given cpuInstanceTypes %j, then the constructor throws', (cpuInstanceTypes, message) => {
    expect(() => trainingStack({ cpuInstanceTypes })).toThrow(message);
  });

  it.each([
    ['gpuMaxVcpus', 0],
    ['gpuMaxVcpus', 2.5],
    ['cpuMaxVcpus', -4],
  ] as const)('Given %s %s, then the constructor throws', (prop, value) => {
    expect(() => trainingStack({ [prop]: value })).toThrow(
      new RegExp(`Training: ${prop} must be a whole number of vCPUs, at least 1`),
    );
  });
});

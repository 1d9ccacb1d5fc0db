import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { BATCH_STATE_CHANGE } from '#events/batch-status-event.ts';
import { AttuneJobStatus, BATCH_JOB_STATE_CHANGE } from '../../infra/constructs/job-status.ts';
import { AttuneTraining, DISPATCHER_ENV } from '../../infra/constructs/training.ts';
import { statementFor } from './cdk-test-app.ts';
import { logicalIdOf, trainingScope } from './training-stack.ts';

// Bundling the handler is the slow part: synthesise the real construct (real esbuild bundling) once for the file.
const { stack, storage, network } = trainingScope();
const training = new AttuneTraining(stack, 'Training', { storage, vpc: network.vpc });
const status = new AttuneJobStatus(stack, 'JobStatus', { storage, training });
const template = Template.fromStack(stack);
const functionId = logicalIdOf(status.handler, stack);
const ruleId = logicalIdOf(status.rule, stack);
const queueArn = (queue: typeof training.gpu.queue) => ({
  'Fn::GetAtt': [logicalIdOf(queue, stack), 'JobQueueArn'],
});

/** The actions the own role of the Lambda `id` (a logical id) allows. */
function actionsOf(id: string): string[] {
  const roleId = template.toJSON().Resources[id].Properties.Role['Fn::GetAtt'][0];
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(roleId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement)
    .flatMap((statement: { Action: string | string[] }) => [statement.Action].flat());
}

describe('AttuneJobStatus rule', () => {
  it('Given the handler’s event type, then the rule listens for exactly it', () => {
    expect(BATCH_JOB_STATE_CHANGE).toBe(BATCH_STATE_CHANGE);
  });

  it('Given defaults, then the rule takes Batch job state changes of the two Attune queues and no other', () => {
    expect(template.toJSON().Resources[ruleId].Properties.EventPattern).toEqual({
      source: ['aws.batch'],
      'detail-type': ['Batch Job State Change'],
      detail: { jobQueue: [queueArn(training.gpu.queue), queueArn(training.cpu.queue)] },
    });
  });

  it('Given defaults, then the rule targets the status Lambda with a dead-letter queue and a six-hour event age', () => {
    expect(template.toJSON().Resources[ruleId].Properties.Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [functionId, 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalIdOf(status.deadLetterQueue, stack), 'Arn'] } },
        RetryPolicy: { MaximumEventAgeInSeconds: 21_600 },
      }),
    ]);
  });

  it('Given defaults, then only EventBridge, for this rule, may invoke the status Lambda', () => {
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [functionId, 'Arn'] },
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] },
    });
  });
});

describe('AttuneJobStatus Lambda', () => {
  it('Given defaults, then the Lambda gets the table, the bucket name and the dispatcher’s queues and definitions', () => {
    const variables = template.toJSON().Resources[functionId].Properties.Environment.Variables;
    expect(variables).toMatchObject({
      TABLE_NAME: { Ref: logicalIdOf(storage.table, stack) },
      BUCKET_NAME: { Ref: logicalIdOf(storage.bucket, stack) },
      POWERTOOLS_SERVICE_NAME: 'attune-batch-status',
      [DISPATCHER_ENV.gpuQueue]: queueArn(training.gpu.queue),
      [DISPATCHER_ENV.cpuQueue]: queueArn(training.cpu.queue),
      [DISPATCHER_ENV.gpuJobDefinition]: { Ref: logicalIdOf(training.gpu.jobDefinition, stack) },
      [DISPATCHER_ENV.cpuJobDefinition]: { Ref: logicalIdOf(training.cpu.jobDefinition, stack) },
    });
  });

  it('Given defaults, then the Lambda may cancel and terminate jobs but not submit them', () => {
    const batch = lambdaActions().filter((action) => action.startsWith('batch:'));
    expect(batch.sort()).toEqual(['batch:CancelJob', 'batch:TerminateJob']);
  });

  const lambdaActions = () => actionsOf(functionId);

  it('Given defaults, then the Lambda may write and delete table items (a model withdrawn when a cancel wins) but not scan, and touch no object', () => {
    const actions = lambdaActions();
    expect(actions).toEqual(
      expect.arrayContaining([
        'dynamodb:GetItem',
        'dynamodb:UpdateItem',
        'dynamodb:PutItem',
        'dynamodb:DeleteItem',
      ]),
    );
    expect(actions).not.toContain('dynamodb:Scan');
    expect(actions.filter((action) => action.startsWith('s3:'))).toEqual([]);
    expect(statementFor(template, 'dynamodb:DeleteItem')?.Resource).toContainEqual({
      'Fn::GetAtt': [logicalIdOf(storage.table, stack), 'Arn'],
    });
  });

  it('Given defaults, then a failed invocation is retried twice, then its event goes to the encrypted dead-letter queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: functionId },
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 21_600,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [logicalIdOf(status.deadLetterQueue, stack), 'Arn'] } },
      },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1_209_600,
    });
  });
});

describe('AttuneJobStatus dispatch sweep', () => {
  const sweeperId = logicalIdOf(status.sweeper, stack);
  const sweepRuleId = logicalIdOf(status.sweepRule, stack);

  it('Given defaults, then a schedule runs the sweep Lambda every ten minutes, without retries', () => {
    const rule = template.toJSON().Resources[sweepRuleId].Properties;
    expect(rule.ScheduleExpression).toBe('rate(10 minutes)');
    expect(rule.Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [sweeperId, 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 0 },
      }),
    ]);
  });

  it('Given defaults, then the sweep Lambda runs functions/events/dispatch-sweep.ts with the table and the bucket name', () => {
    const variables = template.toJSON().Resources[sweeperId].Properties.Environment.Variables;
    expect(variables).toMatchObject({
      TABLE_NAME: { Ref: logicalIdOf(storage.table, stack) },
      BUCKET_NAME: { Ref: logicalIdOf(storage.bucket, stack) },
      POWERTOOLS_SERVICE_NAME: 'attune-dispatch-sweep',
    });
  });

  it('Given defaults, then the sweep Lambda may query and update table items but not scan, and touch no object or Batch job', () => {
    const actions = actionsOf(sweeperId);
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:Query', 'dynamodb:UpdateItem']));
    expect(actions).not.toContain('dynamodb:Scan');
    expect(actions.filter((a) => a.startsWith('s3:') || a.startsWith('batch:'))).toEqual([]);
  });

  it('Given a sweep interval outside 1 to 60 minutes, then the construct is refused at once', () => {
    const scope = trainingScope();
    const otherTraining = new AttuneTraining(scope.stack, 'Training', {
      storage: scope.storage,
      vpc: scope.network.vpc,
    });
    expect(
      () =>
        new AttuneJobStatus(scope.stack, 'JobStatus', {
          storage: scope.storage,
          training: otherTraining,
          sweepInterval: Duration.hours(2),
        }),
    ).toThrow('sweepInterval must be between 1 and 60 minutes, got 120');
  });
});

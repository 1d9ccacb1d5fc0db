import 'aws-sdk-client-mock-vitest/extend';
import {
  BatchClient,
  CancelJobCommand,
  type RetryStrategy,
  SubmitJobCommand,
  type SubmitJobCommandInput,
  TerminateJobCommand,
} from '@aws-sdk/client-batch';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  BatchDispatcher,
  batchDispatcherFromEnv,
  batchDispatcherOptionsFromEnv,
} from '#aws/batch-dispatcher.ts';
import { ConfigError } from '#core/errors.ts';
import type { DispatchPlan } from '#core/jobs/dispatch.ts';
import { jobRecord } from '#tests/unit/jobs/job-fixtures.ts';

const batchMock = mockClient(BatchClient);

const options = {
  queues: { gpu: 'attune-gpu', cpu: 'attune-cpu' },
  jobDefinitions: { gpu: 'attune-trainer-gpu:3', cpu: 'attune-trainer-cpu:5' },
  tableName: 'attune-table',
  bucketName: 'attune-bucket',
};

const dispatcher = () => new BatchDispatcher(new BatchClient({ region: 'us-east-1' }), options);

const cpuPlan: DispatchPlan = {
  queue: 'cpu',
  reason: 'fits a small instance',
  instanceType: 'c7i.large',
  vcpus: 2,
  memoryMiB: 3686,
  gpus: 0,
  timeoutSeconds: 1800,
};

const gpuPlan: DispatchPlan = {
  queue: 'gpu',
  reason: 'full fine-tuning',
  instanceType: 'g5.xlarge',
  vcpus: 4,
  memoryMiB: 14745,
  gpus: 1,
  timeoutSeconds: 7200,
};

const retryStrategy: RetryStrategy = {
  attempts: 3,
  evaluateOnExit: [
    { onStatusReason: 'Host EC2*', action: 'RETRY' },
    { onReason: '*', action: 'EXIT' },
  ],
};

beforeEach(() => {
  batchMock.reset();
});

describe('BatchDispatcher.submit', () => {
  it('Given a prompt tune planned on a small instance, when submitted, then exactly this SubmitJob goes to the CPU queue', async () => {
    batchMock.on(SubmitJobCommand).resolves({ jobId: 'batch-123', jobName: 'x', jobArn: 'arn' });
    const job = jobRecord();
    const out = await dispatcher().submit(job, cpuPlan);
    expect(out).toEqual({ batchJobId: 'batch-123' });
    const expected: SubmitJobCommandInput = {
      jobName: `attune-${job.id}`,
      jobQueue: 'attune-cpu',
      jobDefinition: 'attune-trainer-cpu:5',
      parameters: { attuneJobId: job.id, attuneTeam: 'sales' },
      containerOverrides: {
        environment: [
          { name: 'ATTUNE_JOB_ID', value: job.id },
          { name: 'ATTUNE_TEAM', value: 'sales' },
          { name: 'TABLE_NAME', value: 'attune-table' },
          { name: 'BUCKET_NAME', value: 'attune-bucket' },
        ],
        resourceRequirements: [
          { type: 'VCPU', value: '2' },
          { type: 'MEMORY', value: '3686' },
        ],
      },
      retryStrategy,
      timeout: { attemptDurationSeconds: 1800 },
      tags: { 'attune:team': 'sales', 'attune:job': job.id },
      propagateTags: true,
    };
    expect(batchMock).toHaveReceivedCommandExactlyOnceWith(
      SubmitJobCommand,
      expected as Partial<SubmitJobCommandInput & Record<string, unknown>>,
    );
    // The matcher compares what it is given; equality also rules out any field beyond these.
    expect(batchMock.commandCalls(SubmitJobCommand)[0]?.args[0].input).toEqual(expected);
  });

  it('Given a full fine-tune, when submitted, then it goes to the GPU queue and asks for the GPU', async () => {
    batchMock.on(SubmitJobCommand).resolves({ jobId: 'batch-9', jobName: 'x', jobArn: 'arn' });
    const job = jobRecord({
      method: {
        type: 'supervised',
        hyperparameters: { n_epochs: 3, batch_size: 'auto', learning_rate_multiplier: 'auto' },
      },
    });
    await dispatcher().submit(job, gpuPlan);
    const input = batchMock.commandCalls(SubmitJobCommand)[0]?.args[0].input;
    expect(input?.jobQueue).toBe('attune-gpu');
    expect(input?.jobDefinition).toBe('attune-trainer-gpu:3');
    expect(input?.containerOverrides?.resourceRequirements).toEqual([
      { type: 'VCPU', value: '4' },
      { type: 'MEMORY', value: '14745' },
      { type: 'GPU', value: '1' },
    ]);
    expect(input?.timeout).toEqual({ attemptDurationSeconds: 7200 });
    expect(input?.retryStrategy).toEqual(retryStrategy);
  });

  it('Given Batch refuses the job, when submitted, then the error reaches the caller', async () => {
    batchMock.on(SubmitJobCommand).rejects(new Error('ClientException: queue disabled'));
    await expect(dispatcher().submit(jobRecord(), cpuPlan)).rejects.toThrow('queue disabled');
  });

  it('Given Batch answers without a job id, when submitted, then it is an error, not a job without a run', async () => {
    batchMock.on(SubmitJobCommand).resolves({ jobName: 'x', jobArn: 'arn' } as never);
    await expect(dispatcher().submit(jobRecord(), cpuPlan)).rejects.toThrow('no job id');
  });
});

describe('BatchDispatcher.cancel', () => {
  const target = { team: 'sales', id: 'ftjob-1', batchJobId: 'batch-123' };

  it.each(['queued', 'validating_files'] as const)(
    'Given a %s job, when cancelled, then CancelJob and no TerminateJob',
    async (status) => {
      batchMock.on(CancelJobCommand).resolves({});
      await dispatcher().cancel({ ...target, status }, 'Cancelled by the team');
      expect(batchMock).toHaveReceivedCommandExactlyOnceWith(CancelJobCommand, {
        jobId: 'batch-123',
        reason: 'Cancelled by the team',
      });
      expect(batchMock).not.toHaveReceivedCommand(TerminateJobCommand);
    },
  );

  it('Given a running job, when cancelled, then TerminateJob and no CancelJob', async () => {
    batchMock.on(TerminateJobCommand).resolves({});
    await dispatcher().cancel({ ...target, status: 'running' }, 'Cancelled by the team');
    expect(batchMock).toHaveReceivedCommandExactlyOnceWith(TerminateJobCommand, {
      jobId: 'batch-123',
      reason: 'Cancelled by the team',
    });
    expect(batchMock).not.toHaveReceivedCommand(CancelJobCommand);
  });
});

describe('batchDispatcherOptionsFromEnv', () => {
  const storage = { tableName: 't', bucketName: 'b' };

  it('Given every variable, then the queues and definitions are read', () => {
    const env = {
      ATTUNE_GPU_JOB_QUEUE: 'gq',
      ATTUNE_CPU_JOB_QUEUE: 'cq',
      ATTUNE_GPU_JOB_DEFINITION: 'gd',
      ATTUNE_CPU_JOB_DEFINITION: 'cd',
    };
    expect(batchDispatcherOptionsFromEnv(env, storage)).toEqual({
      queues: { gpu: 'gq', cpu: 'cq' },
      jobDefinitions: { gpu: 'gd', cpu: 'cd' },
      ...storage,
    });
  });

  it('Given a missing queue, then a ConfigError names it', () => {
    expect(() =>
      batchDispatcherOptionsFromEnv(
        { ATTUNE_CPU_JOB_QUEUE: 'cq', ATTUNE_GPU_JOB_DEFINITION: 'gd', ATTUNE_CPU_JOB_DEFINITION: 'cd' },
        storage,
      ),
    ).toThrow(new ConfigError('Missing AWS Batch configuration: ATTUNE_GPU_JOB_QUEUE'));
  });
});

describe('batchDispatcherFromEnv', () => {
  const config = { region: 'us-east-1', tableName: 't', bucketName: 'b' };

  it('Given no Batch variable at all, then there is no dispatcher (the embedded stack brings its own)', () => {
    expect(batchDispatcherFromEnv({}, config)).toBeUndefined();
  });

  it('Given every Batch variable, then a Batch dispatcher is built', () => {
    const env = {
      ATTUNE_GPU_JOB_QUEUE: 'gq',
      ATTUNE_CPU_JOB_QUEUE: 'cq',
      ATTUNE_GPU_JOB_DEFINITION: 'gd',
      ATTUNE_CPU_JOB_DEFINITION: 'cd',
    };
    expect(batchDispatcherFromEnv(env, config)).toBeInstanceOf(BatchDispatcher);
  });

  it('Given only some Batch variables, then start-up fails naming the missing ones', () => {
    expect(() => batchDispatcherFromEnv({ ATTUNE_GPU_JOB_QUEUE: 'gq' }, config)).toThrow(ConfigError);
  });
});

import { describe, expect, it } from 'vitest';
import { failureOf, reportFromBatchEvent } from '#events/batch-status-event.ts';
import { batchEvent } from '#tests/unit/jobs/job-fixtures.ts';

const JOB_ID = 'ftjob-01jab000000000000000000000';
describe('reportFromBatchEvent', () => {
  it.each([
    ['SUBMITTED', 'queued'],
    ['PENDING', 'queued'],
    ['RUNNABLE', 'queued'],
    ['STARTING', 'queued'],
    ['RUNNING', 'running'],
    ['SUCCEEDED', 'succeeded'],
  ] as const)('Given Batch status %s, then the job status is %s', (batch, status) => {
    expect(reportFromBatchEvent(batchEvent({ status: batch }, 'sales', JOB_ID))).toEqual({
      team: 'sales',
      jobId: JOB_ID,
      status,
      batchJobId: 'batch-1',
      // A finished run says how long it occupied an instance: no attempts here, so nothing.
      ...(status === 'succeeded' ? { runSeconds: 0, runAttempts: 0 } : {}),
    });
  });

  it('Given a finished run with attempts, then its run seconds are the sum of the attempts', () => {
    const report = reportFromBatchEvent(
      batchEvent({
        status: 'SUCCEEDED',
        attempts: [
          { startedAt: 1_000_000, stoppedAt: 1_600_000 },
          { startedAt: 2_000_000, stoppedAt: 2_030_500 },
        ],
      }),
    );
    expect(report).toMatchObject({ runSeconds: 630.5, runAttempts: 2 });
  });

  it('Given a FAILED job cancelled before any attempt, then it ran zero seconds', () => {
    expect(
      reportFromBatchEvent(batchEvent({ status: 'FAILED', statusReason: 'cancelled' }))?.runSeconds,
    ).toBe(0);
  });

  it('Given a RUNNING event, then no run seconds are reported yet', () => {
    const report = reportFromBatchEvent(batchEvent({ status: 'RUNNING', attempts: [{ startedAt: 1 }] }));
    expect(report).not.toHaveProperty('runSeconds');
  });

  it('Given FAILED, then the report carries the error with the reason and exit code', () => {
    const report = reportFromBatchEvent(
      batchEvent({
        status: 'FAILED',
        statusReason: 'Essential container in task exited',
        container: { exitCode: 2, reason: 'out of memory' },
      }),
    );
    expect(report).toMatchObject({ status: 'failed' });
    expect(report?.error).toEqual({
      code: 'training_failed',
      message: 'Essential container in task exited (exit code 2): out of memory',
      param: null,
    });
  });

  it('Given only parameters carry the identity, then they are read', () => {
    const report = reportFromBatchEvent(
      batchEvent({ tags: {}, parameters: { attuneTeam: 'sales', attuneJobId: JOB_ID } }),
    );
    expect(report).toMatchObject({ team: 'sales', jobId: JOB_ID });
  });

  it.each([
    ['no identity', { tags: {} }],
    ['a malformed job id', { tags: { 'attune:team': 'sales', 'attune:job': '../x' } }],
    ['a malformed team', { tags: { 'attune:team': 'TEAM#x', 'attune:job': JOB_ID } }],
  ])('Given %s, then it is not an Attune job', (_what, detail) => {
    expect(reportFromBatchEvent(batchEvent(detail))).toBeNull();
  });

  it('Given a status Batch does not document, then it is an error', () => {
    expect(() => reportFromBatchEvent(batchEvent({ status: 'ZOMBIE' as never }))).toThrow(
      /unknown AWS Batch job status/,
    );
  });
});

describe('failureOf', () => {
  it('Given the attempt timed out, then the code is timeout', () => {
    expect(
      failureOf({ jobId: 'b', status: 'FAILED', statusReason: 'Job attempt duration exceeded timeout' }).code,
    ).toBe('timeout');
  });

  it('Given the host was lost on the last attempt, then the code is host_terminated', () => {
    const error = failureOf({
      jobId: 'b',
      status: 'FAILED',
      statusReason: 'Host EC2 (instance i-0abc) terminated.',
    });
    expect(error).toEqual({
      code: 'host_terminated',
      message: 'Host EC2 (instance i-0abc) terminated.',
      param: null,
    });
  });

  it('Given no reason at all, then the message says so', () => {
    expect(failureOf({ jobId: 'b', status: 'FAILED' }).message).toBe('no reason given');
  });
});

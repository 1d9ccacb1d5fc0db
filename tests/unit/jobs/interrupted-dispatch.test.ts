import { describe, expect, it } from 'vitest';
import { InMemorySpendLedger } from '#core/estimate/budget.ts';
import {
  asReported,
  DISPATCH_DEADLINE_SECONDS,
  failInterruptedDispatch,
  looksInterrupted,
} from '#core/jobs/interrupted-dispatch.ts';
import type { JobRecord } from '#core/jobs/job.ts';
import { InMemoryJobStore } from '#tests/unit/jobs/in-memory-job-store.ts';
import { jobEstimate, jobRecord } from '#tests/unit/jobs/job-fixtures.ts';

const TEAM = 'sales';
const CREATED = 1_795_900_000;
/** The month `CREATED` falls in, which the estimate was charged to. */
const MONTH = '2026-11';
const SWEPT_AT = CREATED + DISPATCH_DEADLINE_SECONDS + 60;

/** A job stored but never dispatched, charged its $0.50 estimate when created. */
const stranded = (overrides: Partial<JobRecord> = {}) =>
  jobRecord({
    createdAt: CREATED,
    status: 'validating_files',
    batchJobId: null,
    estimatedFinish: CREATED + 600,
    estimate: jobEstimate(),
    ...overrides,
  });

async function sweeper(job: JobRecord) {
  const jobs = new InMemoryJobStore([job]);
  const spend = new InMemorySpendLedger();
  await spend.add(TEAM, MONTH, 0.5);
  return { jobs, spend, deps: { jobs, spend, now: () => SWEPT_AT * 1000 } };
}

describe('looksInterrupted', () => {
  it.each([
    ['in validating_files without a Batch job id, at the deadline', true, {}, DISPATCH_DEADLINE_SECONDS],
    [
      'in validating_files without a Batch job id, a second before it',
      false,
      {},
      DISPATCH_DEADLINE_SECONDS - 1,
    ],
    ['in validating_files with a Batch job id', false, { batchJobId: 'batch-1' }, 3600],
    ['queued without a Batch job id', false, { status: 'queued' as const }, 3600],
  ])('Given a job %s, then looksInterrupted is %s', (_, expected, overrides, age) => {
    expect(looksInterrupted(stranded(overrides), CREATED + age)).toBe(expected);
  });
});

describe('asReported', () => {
  it('Given a job that is not interrupted, then the very same record', () => {
    const job = stranded({ batchJobId: 'batch-1' });
    expect(asReported(job, CREATED + 3600)).toBe(job);
  });

  it('Given an interrupted job, then the stored record is left as it was', () => {
    const job = stranded();
    asReported(job, CREATED + 3600);
    expect(job).toEqual(stranded());
  });
});

describe('failInterruptedDispatch', () => {
  it('Given a job stranded past the deadline, then it is stored as failed with dispatch_interrupted', async () => {
    const { deps, jobs } = await sweeper(stranded());
    const after = await failInterruptedDispatch(deps, stranded());
    expect(after).toMatchObject({
      status: 'failed',
      error: { code: 'dispatch_interrupted' },
      finishedAt: SWEPT_AT,
      estimatedFinish: null,
    });
    expect(await jobs.get(TEAM, after.id)).toEqual(after);
  });

  it('Given a job stranded past the deadline, then an error event says it failed', async () => {
    const { deps, jobs } = await sweeper(stranded());
    await failInterruptedDispatch(deps, stranded());
    expect(jobs.events.map((e) => e.record)).toEqual([
      expect.objectContaining({
        jobId: stranded().id,
        level: 'error',
        createdAt: SWEPT_AT,
        message: expect.stringMatching(/^The job failed: The job was stored but never dispatched/),
      }),
    ]);
  });

  it('Given a job stranded past the deadline, then it is settled at zero cost', async () => {
    const { deps } = await sweeper(stranded());
    const after = await failInterruptedDispatch(deps, stranded());
    expect(after.actualCost).toEqual({ wall_seconds: 0, usd_per_hour: 2, cost_usd: 0, attempts: 0 });
  });

  it('Given a job stranded past the deadline, then its estimate is refunded to the ledger', async () => {
    const { deps, spend } = await sweeper(stranded());
    await failInterruptedDispatch(deps, stranded());
    expect(await spend.spent(TEAM, MONTH)).toBe(0);
  });

  it('Given a job inside the deadline, then it is returned as it is and nothing is written', async () => {
    const { deps, jobs } = await sweeper(stranded());
    const young = stranded({ createdAt: SWEPT_AT - 10 });
    expect(await failInterruptedDispatch(deps, young)).toBe(young);
    expect(jobs.writes).toEqual([]);
  });

  it('Given a job with a Batch job id, then it is returned as it is and nothing is written', async () => {
    const dispatched = stranded({ batchJobId: 'batch-1' });
    const { deps, jobs } = await sweeper(dispatched);
    expect(await failInterruptedDispatch(deps, dispatched)).toBe(dispatched);
    expect(jobs.writes).toEqual([]);
  });

  it('Given a second sweep that loses the conditional transition, then it returns the stored failure', async () => {
    const { deps, jobs } = await sweeper(stranded());
    await failInterruptedDispatch(deps, stranded());
    const again = await failInterruptedDispatch(deps, stranded());
    expect(again).toEqual(await jobs.get(TEAM, stranded().id));
    expect(again.status).toBe('failed');
  });

  it('Given a second sweep that loses the conditional transition, then nothing is logged or settled twice', async () => {
    const { deps, jobs, spend } = await sweeper(stranded());
    await failInterruptedDispatch(deps, stranded());
    const writesOfFirst = jobs.writes.length;
    await failInterruptedDispatch(deps, stranded());
    expect(jobs.writes.slice(writesOfFirst)).toEqual([{ method: 'transition', id: stranded().id }]);
    expect(jobs.events).toHaveLength(1);
    expect(await spend.spent(TEAM, MONTH)).toBe(0);
  });

  it('Given no ledger, then the job still fails and records its zero cost', async () => {
    const jobs = new InMemoryJobStore([stranded()]);
    const after = await failInterruptedDispatch({ jobs, now: () => SWEPT_AT * 1000 }, stranded());
    expect(after).toMatchObject({ status: 'failed', actualCost: { cost_usd: 0 } });
  });
});

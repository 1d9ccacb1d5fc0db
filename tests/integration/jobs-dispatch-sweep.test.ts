import type { ScheduledEvent } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { SpendRepository } from '#aws/spend-repository.ts';
import { newId } from '#core/ids.ts';
import { sweepInterruptedDispatches } from '#core/jobs/dispatch-sweep.ts';
import { DISPATCH_DEADLINE_SECONDS } from '#core/jobs/interrupted-dispatch.ts';
import type { JobRecord } from '#core/jobs/job.ts';
import { handler } from '#events/dispatch-sweep.ts';
import { createJobsHarness } from '#tests/integration/jobs-harness.ts';
import { testClients } from '#tests/test-clients.ts';
import { jobRecord } from '#tests/unit/jobs/job-fixtures.ts';

/**
 * The scheduled sweep that closes, in AWS, jobs whose create request died between storing and
 * dispatching them: nothing else moves a job that nobody reads.
 */
const h = createJobsHarness();
afterEach(() => h.cleanup());

async function storedJob(team: string, ageSeconds: number, batchJobId: string | null): Promise<JobRecord> {
  const id = newId('ftjob');
  const job = jobRecord({
    team,
    id,
    createdAt: Math.floor(Date.now() / 1000) - ageSeconds,
    status: batchJobId ? 'queued' : 'validating_files',
    batchJobId,
    outputModel: `pt:attune-tiny:${team}::${id.slice(6)}`,
  });
  await h.stores.jobs.create(job);
  return job;
}

const scheduled = { 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} } as ScheduledEvent;

describe('the dispatch sweep', () => {
  it('Given a job stored past the dispatch deadline and never dispatched, when swept, then it is failed with dispatch_interrupted and costs nothing', async () => {
    const { team } = await h.team();
    const stranded = await storedJob(team, DISPATCH_DEADLINE_SECONDS + 60, null);
    const spend = new SpendRepository(testClients().dynamo, h.config.tableName);
    const report = await sweepInterruptedDispatches({ jobs: h.stores.jobs, spend });
    expect(report.failed).toContain(stranded.id);
    const after = await h.stores.jobs.get(team, stranded.id);
    expect(after).toMatchObject({ status: 'failed', error: { code: 'dispatch_interrupted' } });
    expect(after?.actualCost).toMatchObject({ cost_usd: 0, attempts: 0 });
  });

  it('Given a job whose create may still be dispatching it, when swept, then it is left validating_files', async () => {
    const { team } = await h.team();
    const young = await storedJob(team, 5, null);
    const report = await sweepInterruptedDispatches({ jobs: h.stores.jobs });
    expect(report.failed).not.toContain(young.id);
    expect((await h.stores.jobs.get(team, young.id))?.status).toBe('validating_files');
  });

  it('Given an old job that was dispatched, when swept, then it is left as it is', async () => {
    const { team } = await h.team();
    const dispatched = await storedJob(team, DISPATCH_DEADLINE_SECONDS + 60, 'batch-1');
    const report = await sweepInterruptedDispatches({ jobs: h.stores.jobs });
    expect(report.failed).not.toContain(dispatched.id);
    expect((await h.stores.jobs.get(team, dispatched.id))?.status).toBe('queued');
  });

  it('Given a stranded job, when the scheduled Lambda runs twice, then it is failed once, with one error event', async () => {
    const { team } = await h.team();
    const stranded = await storedJob(team, DISPATCH_DEADLINE_SECONDS + 60, null);
    const first = await handler(scheduled);
    const second = await handler(scheduled);
    expect(first.failed).toContain(stranded.id);
    expect(second.failed).not.toContain(stranded.id);
    const events = await h.stores.jobs.listEvents(team, stranded.id, { limit: 10 });
    expect(events.map((e) => e.level)).toEqual(['error']);
  });
});

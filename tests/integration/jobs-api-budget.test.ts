import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { OpenAIJob } from '#core/jobs/job.ts';
import type { ListPage } from '#core/pagination.ts';
import { errorOf } from '#tests/integration/http-harness.ts';
import { createJobsHarness } from '#tests/integration/jobs-harness.ts';

// Budgets are read from the environment when the app is built: one app where every team has $0 a month,
// one with the default budget.
process.env.ATTUNE_DEFAULT_MONTHLY_BUDGET_USD = '0';
const broke = createJobsHarness();
delete process.env.ATTUNE_DEFAULT_MONTHLY_BUDGET_USD;
const funded = createJobsHarness();
afterEach(async () => {
  await broke.cleanup();
  await funded.cleanup();
});
afterAll(() => {
  delete process.env.ATTUNE_DEFAULT_MONTHLY_BUDGET_USD;
});

describe('the budget gate of POST /v1/fine_tuning/jobs', () => {
  it('Given a team with no budget left, when it creates a job, then 402 naming the numbers, and no job or Batch call', async () => {
    const { team, auth } = await broke.team();
    const file = await broke.file(team);
    const res = await broke.post('/v1/fine_tuning/jobs', auth, { model: 'attune-tiny', training_file: file });
    expect(res.status).toBe(402);
    const error = await errorOf(res);
    expect(error.code).toBe('budget_exceeded');
    expect(error.message).toMatch(
      /estimated at \$\d+\.\d\d, but team '.+' has \$0\.00 left of its \$0\.00 budget/,
    );
    const listed = (await (await broke.get('/v1/fine_tuning/jobs', auth)).json()) as ListPage<OpenAIJob>;
    expect(listed.data).toEqual([]);
    expect(broke.dispatcher.submitted.filter((s) => s.job.team === team)).toEqual([]);
  });

  it("Given a job was created, then its estimated cost counts against the team's month in the estimates API", async () => {
    const { team, auth } = await funded.team();
    const file = await funded.file(team);
    const job = (await (
      await funded.post('/v1/fine_tuning/jobs', auth, { model: 'attune-tiny', training_file: file })
    ).json()) as OpenAIJob;
    const estimate = await funded.post('/v1/estimates', auth, { model: 'attune-tiny', training_file: file });
    const body = (await estimate.json()) as { budget: { spent_usd: number } };
    expect(body.budget.spent_usd).toBeCloseTo(job.estimate?.cost_usd.on_demand ?? Number.NaN, 9);
  });
});

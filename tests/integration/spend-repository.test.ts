import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SpendRepository } from '#aws/spend-repository.ts';
import { testClients, testConfig } from '#tests/test-clients.ts';

const config = testConfig();
const ledger = new SpendRepository(testClients().dynamo, config.tableName);
const team = () => `t-${randomUUID().slice(0, 12)}`;

describe('spend repository (DynamoDB Local)', () => {
  it('given nothing spent, then the month reads zero', async () => {
    expect(await ledger.spent(team(), '2026-11')).toBe(0);
  });

  it('given two jobs added at once and a correction, then the month holds their sum', async () => {
    const t = team();
    await Promise.all([ledger.add(t, '2026-11', 12.5), ledger.add(t, '2026-11', 7.25)]);
    await ledger.add(t, '2026-11', -2.5);
    expect(await ledger.spent(t, '2026-11')).toBeCloseTo(17.25, 10);
  });

  it('given spend in one month and one team, then other months and teams are untouched', async () => {
    const t = team();
    await ledger.add(t, '2026-11', 5);
    expect(await ledger.spent(t, '2026-10')).toBe(0);
    expect(await ledger.spent(team(), '2026-11')).toBe(0);
  });

  it('given a non-finite amount, then nothing is written', async () => {
    const t = team();
    await expect(ledger.add(t, '2026-11', Number.POSITIVE_INFINITY)).rejects.toThrow(RangeError);
    expect(await ledger.spent(t, '2026-11')).toBe(0);
  });

  it("given a job's correction applied, when applied again, then the month changes once and the second says so", async () => {
    const t = team();
    await ledger.add(t, '2026-11', 10);
    expect(await ledger.correct(t, '2026-11', -4, 'ftjob-a')).toBe(true);
    expect(await ledger.correct(t, '2026-11', -4, 'ftjob-a')).toBe(false);
    expect(await ledger.spent(t, '2026-11')).toBeCloseTo(6, 10);
  });

  it('given the same correction sent five times at once, then exactly one applies', async () => {
    const t = team();
    const applied = await Promise.all(
      Array.from({ length: 5 }, () => ledger.correct(t, '2026-11', 3, 'ftjob-b')),
    );
    expect(applied.filter(Boolean)).toHaveLength(1);
    expect(await ledger.spent(t, '2026-11')).toBeCloseTo(3, 10);
  });

  it('given corrections of two jobs, then both apply', async () => {
    const t = team();
    await ledger.correct(t, '2026-11', 1.5, 'ftjob-c');
    await ledger.correct(t, '2026-11', 2.5, 'ftjob-d');
    expect(await ledger.spent(t, '2026-11')).toBeCloseTo(4, 10);
  });

  it('given a non-finite correction, then nothing is written and the job can still be corrected', async () => {
    const t = team();
    await expect(ledger.correct(t, '2026-11', Number.NaN, 'ftjob-e')).rejects.toThrow(RangeError);
    expect(await ledger.correct(t, '2026-11', 1, 'ftjob-e')).toBe(true);
    expect(await ledger.spent(t, '2026-11')).toBeCloseTo(1, 10);
  });
});

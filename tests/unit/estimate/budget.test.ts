import { describe, expect, it } from 'vitest';
import { ConfigError } from '#core/errors.ts';
import {
  assertWithinBudget,
  BudgetExceededError,
  budgetMonth,
  budgetStatus,
  budgetsFromEnv,
  DEFAULT_MONTHLY_BUDGET_USD,
  InMemorySpendLedger,
  monthlyBudgetOf,
} from '#core/estimate/budget.ts';

describe('budgets from configuration', () => {
  it('given ATTUNE_TEAM_BUDGETS, then each team has its budget and others the default', () => {
    const budgets = budgetsFromEnv({ ATTUNE_TEAM_BUDGETS: 'search:250, ads:1000.5' });
    expect(monthlyBudgetOf(budgets, 'search')).toBe(250);
    expect(monthlyBudgetOf(budgets, 'ads')).toBe(1000.5);
    expect(monthlyBudgetOf(budgets, 'legal')).toBe(DEFAULT_MONTHLY_BUDGET_USD);
  });

  it('given ATTUNE_DEFAULT_MONTHLY_BUDGET_USD, then it is the default', () => {
    expect(monthlyBudgetOf(budgetsFromEnv({ ATTUNE_DEFAULT_MONTHLY_BUDGET_USD: '20' }), 'any')).toBe(20);
  });

  it.each([
    ['an entry without a colon', { ATTUNE_TEAM_BUDGETS: 'search' }],
    ['a negative amount', { ATTUNE_TEAM_BUDGETS: 'search:-5' }],
    ['a non-number', { ATTUNE_TEAM_BUDGETS: 'search:lots' }],
    ['a team named twice', { ATTUNE_TEAM_BUDGETS: 'a:1,a:2' }],
    ['an empty team', { ATTUNE_TEAM_BUDGETS: ':5' }],
    ['a bad default', { ATTUNE_DEFAULT_MONTHLY_BUDGET_USD: 'x' }],
  ])('given %s, then start-up fails with a ConfigError', (_what, env) => {
    expect(() => budgetsFromEnv(env)).toThrow(ConfigError);
  });
});

describe('budget status', () => {
  it('given spend this month and last month, then only this month counts against the budget', async () => {
    const ledger = new InMemorySpendLedger();
    await ledger.add('search', '2026-11', 30);
    await ledger.add('search', '2026-10', 500);
    const status = await budgetStatus(
      budgetsFromEnv({ ATTUNE_TEAM_BUDGETS: 'search:100' }),
      ledger,
      'search',
      new Date('2026-11-29T12:00:00Z'),
    );
    expect(status).toEqual({
      team: 'search',
      month: '2026-11',
      monthly_usd: 100,
      spent_usd: 30,
      remaining_usd: 70,
    });
  });

  it('given an instant, then its budget month is the UTC calendar month', () => {
    expect(budgetMonth(new Date('2026-12-01T00:30:00+01:00'))).toBe('2026-11');
  });

  it('given a non-finite amount, then the ledger refuses it', async () => {
    await expect(new InMemorySpendLedger().add('t', '2026-11', Number.NaN)).rejects.toThrow(RangeError);
  });
});

describe('refusing a job over budget', () => {
  const status = { team: 'search', month: '2026-11', monthly_usd: 100, spent_usd: 70, remaining_usd: 30 };

  it('given an estimate within what remains, then nothing is thrown', () => {
    expect(() => assertWithinBudget(status, 30)).not.toThrow();
  });

  it('given an estimate over what remains, then a 402 budget_exceeded names every number', () => {
    let error: unknown;
    try {
      assertWithinBudget(status, 45.5, 'Fine-tuning gpt2');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(BudgetExceededError);
    const body = (error as BudgetExceededError).toJSON();
    expect((error as BudgetExceededError).statusCode).toBe(402);
    expect(body.error.code).toBe('budget_exceeded');
    expect(body.error.message).toBe(
      "Fine-tuning gpt2 is estimated at $45.50, but team 'search' has $30.00 left of its $100.00 budget for 2026-11 ($70.00 spent).",
    );
  });
});

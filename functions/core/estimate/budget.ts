import { ConfigError, HttpError } from '#core/errors.ts';

/**
 * Per-team monthly budgets. A team sees, before it pays, how much of its month is left; a job whose
 * estimate would overspend is refused with the numbers, not discovered on the invoice.
 */

/** The monthly budget of a team with no entry of its own. */
export const DEFAULT_MONTHLY_BUDGET_USD = 100;

/** Every team's monthly budget in US dollars; teams without an entry get the default. */
export interface TeamBudgets {
  readonly defaultUsd: number;
  readonly perTeam: ReadonlyMap<string, number>;
}

function parseUsd(text: string, what: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0) {
    throw new ConfigError(`${what} must be a non-negative number of US dollars, got '${text}'`);
  }
  return value;
}

/**
 * Reads `ATTUNE_TEAM_BUDGETS` (`team:usd,team2:usd`) and `ATTUNE_DEFAULT_MONTHLY_BUDGET_USD`. A malformed
 * entry fails start-up with a ConfigError: a silently ignored budget is no budget.
 */
export function budgetsFromEnv(env: NodeJS.ProcessEnv): TeamBudgets {
  const fallback = env.ATTUNE_DEFAULT_MONTHLY_BUDGET_USD;
  const defaultUsd =
    fallback === undefined
      ? DEFAULT_MONTHLY_BUDGET_USD
      : parseUsd(fallback, 'ATTUNE_DEFAULT_MONTHLY_BUDGET_USD');
  const perTeam = new Map<string, number>();
  for (const entry of (env.ATTUNE_TEAM_BUDGETS ?? '').split(',')) {
    if (entry.trim() === '') continue;
    const at = entry.lastIndexOf(':');
    const team = entry.slice(0, Math.max(0, at)).trim();
    if (at <= 0 || team === '') {
      throw new ConfigError(`ATTUNE_TEAM_BUDGETS entry '${entry}' must be team:usd`);
    }
    if (perTeam.has(team)) throw new ConfigError(`ATTUNE_TEAM_BUDGETS names team '${team}' twice`);
    perTeam.set(team, parseUsd(entry.slice(at + 1).trim(), `ATTUNE_TEAM_BUDGETS budget of '${team}'`));
  }
  return { defaultUsd, perTeam };
}

/** The team's monthly budget: its own entry, or the default. */
export function monthlyBudgetOf(budgets: TeamBudgets, team: string): number {
  return budgets.perTeam.get(team) ?? budgets.defaultUsd;
}

/** The budget month of an instant: the UTC calendar month, `YYYY-MM`. */
export function budgetMonth(at: Date): string {
  return at.toISOString().slice(0, 7);
}

/**
 * What a team has committed to spend in a month. Jobs add their estimated cost when created and correct
 * it to the actual cost when they finish; an adapter over DynamoDB can keep it in the team's partition.
 */
export interface SpendLedger {
  spent(team: string, month: string): Promise<number>;
  add(team: string, month: string, usd: number): Promise<void>;
  /**
   * Adds a finished job's correction (actual minus estimated cost) once per job: false, changing nothing,
   * when that job's correction was applied before. A settlement interrupted after the job recorded its
   * cost can so be finished by a retry without counting twice.
   */
  correct(team: string, month: string, usd: number, jobId: string): Promise<boolean>;
}

/** Spend kept in process: for tests and the embedded stack until jobs persist their costs. */
export class InMemorySpendLedger implements SpendLedger {
  private readonly totals = new Map<string, number>();
  private readonly corrected = new Set<string>();

  async spent(team: string, month: string): Promise<number> {
    return this.totals.get(`${team}|${month}`) ?? 0;
  }

  async add(team: string, month: string, usd: number): Promise<void> {
    if (!Number.isFinite(usd)) throw new RangeError(`spend must be a finite number, got ${usd}`);
    const key = `${team}|${month}`;
    this.totals.set(key, (this.totals.get(key) ?? 0) + usd);
  }

  async correct(team: string, month: string, usd: number, jobId: string): Promise<boolean> {
    const key = `${team}|${jobId}`;
    if (this.corrected.has(key)) return false;
    await this.add(team, month, usd);
    this.corrected.add(key);
    return true;
  }
}

/** Where a team stands this month, as the estimate shows it. */
export interface BudgetStatus {
  readonly team: string;
  readonly month: string;
  readonly monthly_usd: number;
  readonly spent_usd: number;
  readonly remaining_usd: number;
}

/** The team's budget, spend and remainder for the month of `now` (UTC). */
export async function budgetStatus(
  budgets: TeamBudgets,
  ledger: SpendLedger,
  team: string,
  now: Date,
): Promise<BudgetStatus> {
  const month = budgetMonth(now);
  const monthly = monthlyBudgetOf(budgets, team);
  const spent = await ledger.spent(team, month);
  return { team, month, monthly_usd: monthly, spent_usd: spent, remaining_usd: monthly - spent };
}

const money = (n: number): string => `$${n.toFixed(2)}`;

/** 402: the job would take the team past its monthly budget. */
export class BudgetExceededError extends HttpError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(402, message, { type: 'insufficient_quota', code: 'budget_exceeded', ...options });
    this.name = 'BudgetExceededError';
  }
}

/**
 * Refuses a job whose estimated cost exceeds what remains of the team's month, naming every number
 * involved, so the team knows how far over it is and what it could still afford.
 */
export function assertWithinBudget(status: BudgetStatus, estimatedUsd: number, what = 'This job'): void {
  if (estimatedUsd <= status.remaining_usd) return;
  throw new BudgetExceededError(
    `${what} is estimated at ${money(estimatedUsd)}, but team '${status.team}' has ${money(status.remaining_usd)} left of its ${money(status.monthly_usd)} budget for ${status.month} (${money(status.spent_usd)} spent).`,
  );
}

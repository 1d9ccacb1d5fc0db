import type { EstimateMethod } from '#core/estimate/formulas.ts';

/**
 * Which method to use and why, in the terms of the article Attune is built on: five drivers (budget,
 * deadline, regulatory pressure, speed of iteration, portability) and the volume of data. Every reason
 * names the driver it comes from and the method it favours, so a team can see which of its answers
 * decided the outcome and what would change it.
 */

export interface Drivers {
  readonly budget_usd: number | null;
  readonly deadline_hours: number | null;
  readonly data_sensitivity: 'low' | 'high' | null;
  readonly iteration: 'weekly' | 'quarterly' | null;
  readonly portability: boolean | null;
}

export type Driver = keyof Drivers | 'data_volume' | 'feasibility';

export interface Reason {
  readonly driver: Driver;
  /** The method this reason argues for; null when it argues for none (an either-way fact). */
  readonly favours: EstimateMethod | null;
  readonly message: string;
}

/** One method's figures on the comparison basis (all on Attune's trainer, or all beyond it). */
export interface ComparisonRow {
  readonly method: EstimateMethod;
  readonly feasible: boolean;
  readonly cost_usd: number;
  readonly wall_clock_hours: number;
  readonly artifact_bytes: number;
  /** What one more iteration costs: the whole run, or for hybrid only its prompt-tuning stage. */
  readonly iteration_cost_usd: number;
  readonly iteration_hours: number;
}

export interface Recommendation {
  readonly method: EstimateMethod;
  readonly summary: string;
  readonly reasons: readonly Reason[];
  /** The hybrid path with its figures, where it fits the team's situation. */
  readonly hybrid_path: string | null;
}

/** Below this many examples prompt tuning is the article's answer: "a few hundred examples" suffice. */
export const FEW_EXAMPLES = 1000;
/** From this many examples fine-tuning can pay off: "tens of thousands of labeled examples". */
export const MANY_EXAMPLES = 10_000;

const usd = (n: number): string => (n < 1 ? `$${n.toFixed(3)}` : `$${n.toFixed(2)}`);
const hours = (h: number): string => (h < 1 ? `${Math.round(h * 60)} min` : `${h.toFixed(1)} h`);

/** What the recommendation weighs: the methods' figures, the data volume and the team's drivers. */
export interface RecommendationInput {
  readonly rows: readonly ComparisonRow[];
  readonly examples: number;
  readonly drivers: Drivers;
  readonly modelName: string;
}

function limitReasons(input: RecommendationInput, excluded: Set<EstimateMethod>): Reason[] {
  const reasons: Reason[] = [];
  const { budget_usd: budget, deadline_hours: deadline } = input.drivers;
  const feasible = input.rows.filter((r) => r.feasible);
  for (const row of input.rows) {
    if (!row.feasible) {
      if (feasible.length > 0) excluded.add(row.method);
      reasons.push({
        driver: 'feasibility',
        favours: feasible.length === 1 ? (feasible[0]?.method ?? null) : null,
        message: `Attune's trainer (fp32, one device) cannot run ${row.method} on ${input.modelName}; outside it, with bf16 and sharding, the cheapest way costs ${usd(row.cost_usd)}.`,
      });
    }
    if (budget !== null && row.cost_usd > budget) {
      excluded.add(row.method);
      reasons.push({
        driver: 'budget_usd',
        favours: null,
        message: `${row.method} costs ${usd(row.cost_usd)}, over the budget of ${usd(budget)}.`,
      });
    }
    if (deadline !== null && row.wall_clock_hours > deadline) {
      excluded.add(row.method);
      reasons.push({
        driver: 'deadline_hours',
        favours: null,
        message: `${row.method} takes ${hours(row.wall_clock_hours)}, past the deadline of ${hours(deadline)}.`,
      });
    }
  }
  const pt = input.rows.find((r) => r.method === 'prompt_tuning');
  if (pt && budget !== null && !excluded.has('prompt_tuning')) {
    reasons.push({
      driver: 'budget_usd',
      favours: 'prompt_tuning',
      message: `prompt tuning costs ${usd(pt.cost_usd)}, leaving ${usd(budget - pt.cost_usd)} of ${usd(budget)}: costs stay predictable.`,
    });
  }
  if (pt && deadline !== null && !excluded.has('prompt_tuning')) {
    reasons.push({
      driver: 'deadline_hours',
      favours: 'prompt_tuning',
      message: `prompt tuning finishes in ${hours(pt.wall_clock_hours)}, inside the ${hours(deadline)} deadline.`,
    });
  }
  return reasons;
}

function driverReasons(input: RecommendationInput): Reason[] {
  const { drivers, examples } = input;
  const ft = input.rows.find((r) => r.method === 'supervised');
  const pt = input.rows.find((r) => r.method === 'prompt_tuning');
  const reasons: Reason[] = [];
  if (examples < FEW_EXAMPLES) {
    reasons.push({
      driver: 'data_volume',
      favours: 'prompt_tuning',
      message: `${examples} examples: prompt tuning gets by with a few hundred; fine-tuning wants tens of thousands to pay off.`,
    });
  } else if (examples >= MANY_EXAMPLES) {
    reasons.push({
      driver: 'data_volume',
      favours: 'supervised',
      message: `${examples} examples: enough for fine-tuning to absorb the domain deeply, which can justify its cost.`,
    });
  } else {
    reasons.push({
      driver: 'data_volume',
      favours: 'prompt_tuning',
      message: `${examples} examples: more than prompt tuning needs, fewer than fine-tuning usually wants; pilot with prompt tuning and fine-tune later if it sticks.`,
    });
  }
  if (drivers.data_sensitivity === 'high') {
    reasons.push({
      driver: 'data_sensitivity',
      favours: 'prompt_tuning',
      message:
        'high regulatory pressure: prompt tuning leaves the shared model untouched, so sensitive text is not baked into weights other teams serve, and each team keeps its own small prompt; the audit surface narrows.',
    });
  }
  if (drivers.iteration === 'weekly') {
    const per =
      pt && ft
        ? ` (${usd(pt.iteration_cost_usd)} and ${hours(pt.iteration_hours)} a run, against ${usd(ft.iteration_cost_usd)} and ${hours(ft.iteration_hours)} to re-fine-tune)`
        : '';
    reasons.push({
      driver: 'iteration',
      favours: 'prompt_tuning',
      message: `the task changes weekly: every change reruns training, and prompt tuning reruns cheaply${per}.`,
    });
  } else if (drivers.iteration === 'quarterly') {
    reasons.push({
      driver: 'iteration',
      favours: 'supervised',
      message: 'the task changes quarterly: stable requirements tolerate fine-tuning’s longer cycle.',
    });
  }
  if (drivers.portability === true) {
    reasons.push({
      driver: 'portability',
      favours: 'prompt_tuning',
      message: `portability matters: a soft prompt stays separate from the base weights; a new base model needs only a new prompt-tuning run${pt ? ` (${usd(pt.cost_usd)})` : ''} rather than a new fine-tune${ft ? ` (${usd(ft.cost_usd)})` : ''}. The prompt itself is tied to its base model's embeddings and is retrained, not copied.`,
    });
  } else if (drivers.portability === false) {
    reasons.push({
      driver: 'portability',
      favours: 'supervised',
      message:
        'no need to move providers: fine-tuning bakes tone and policy into the weights, a moat some teams want.',
    });
  }
  return reasons;
}

function chooseMethod(input: RecommendationInput, excluded: Set<EstimateMethod>): EstimateMethod {
  const available = (m: EstimateMethod) => input.rows.some((r) => r.method === m) && !excluded.has(m);
  const { drivers, examples } = input;
  const fineTuningJustified = examples >= MANY_EXAMPLES && available('supervised');
  const promptPressure = drivers.data_sensitivity === 'high' || drivers.portability === true;
  let preferred: EstimateMethod = 'prompt_tuning';
  if (fineTuningJustified && !promptPressure) {
    preferred = drivers.iteration === 'weekly' && available('hybrid') ? 'hybrid' : 'supervised';
    if (drivers.iteration === 'weekly' && !available('hybrid')) preferred = 'prompt_tuning';
  }
  if (available(preferred)) return preferred;
  const remaining = input.rows.filter((r) => !excluded.has(r.method));
  const fallback = [...(remaining.length > 0 ? remaining : input.rows)].sort(
    (a, b) => a.cost_usd - b.cost_usd,
  )[0];
  if (!fallback) throw new RangeError('a recommendation needs at least one method');
  return fallback.method;
}

function hybridPath(input: RecommendationInput, method: EstimateMethod): string | null {
  const ft = input.rows.find((r) => r.method === 'supervised');
  const pt = input.rows.find((r) => r.method === 'prompt_tuning');
  if (!ft || !pt || !ft.feasible) return null;
  const fits = method === 'hybrid' || input.examples >= MANY_EXAMPLES || input.drivers.iteration === 'weekly';
  if (!fits) return null;
  return `fine-tune once on evergreen data (glossary, style guide, historical examples) for about ${usd(ft.cost_usd)}, then prompt-tune per campaign on top of it for about ${usd(pt.iteration_cost_usd)} and ${hours(pt.iteration_hours)} each.`;
}

/** The method to use and every reason for it, from the comparison rows and the team's drivers. */
export function recommend(input: RecommendationInput): Recommendation {
  const excluded = new Set<EstimateMethod>();
  const reasons = [...limitReasons(input, excluded), ...driverReasons(input)];
  const method = chooseMethod(input, excluded);
  const nothingFits = input.rows.every((r) => excluded.has(r.method));
  const summary = nothingFits
    ? `No method fits every constraint; ${method} comes closest (cheapest).`
    : `${method} fits the team's situation best: ${reasons.filter((r) => r.favours === method).length} of ${reasons.length} reasons favour it.`;
  return { method, summary, reasons, hybrid_path: hybridPath(input, method) };
}

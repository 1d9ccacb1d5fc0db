import { ValidationError } from '#core/errors.ts';

/**
 * The names of what a job produces, in OpenAI's `ft:<base>:<org>:<suffix>:<id>` shape so clients that
 * parse fine-tuned model names keep working: `ft:` for a fully fine-tuned model, `pt:` for a tuned prompt.
 * `<org>` is the team. Base model names, team names and suffixes never contain `:`, so the five parts
 * always split back apart.
 */

export type TunedModelKind = 'ft' | 'pt';

export interface TunedModelName {
  readonly kind: TunedModelKind;
  /** The base model at the root: a hybrid prompt over `ft:attune-tiny:…` is still `pt:attune-tiny:…`. */
  readonly base: string;
  readonly team: string;
  /** Empty when the job gave none, as in OpenAI's `ft:gpt-4o-mini:org::abc123`. */
  readonly suffix: string;
  readonly id: string;
}

/** A suffix is part of a model name: letters, digits, `.`, `_`, `-`, at most 40 characters. */
export const SUFFIX_PATTERN = /^[A-Za-z0-9._-]{1,40}$/;

const PART = /^[A-Za-z0-9._-]+$/;

export function formatTunedModelName(name: TunedModelName): string {
  for (const [what, value] of [
    ['base', name.base],
    ['team', name.team],
    ['id', name.id],
  ] as const) {
    if (!PART.test(value)) throw new RangeError(`a tuned model's ${what} must match ${PART}, got '${value}'`);
  }
  if (name.suffix !== '' && !SUFFIX_PATTERN.test(name.suffix)) {
    throw new ValidationError(`Invalid suffix '${name.suffix.slice(0, 80)}'.`, { param: 'suffix' });
  }
  return `${name.kind}:${name.base}:${name.team}:${name.suffix}:${name.id}`;
}

/** The parts of an `ft:`/`pt:` name, or undefined for anything else (a base model name, a typo). */
export function parseTunedModelName(value: string): TunedModelName | undefined {
  const parts = value.split(':');
  if (parts.length !== 5) return undefined;
  const [kind, base, team, suffix, id] = parts as [string, string, string, string, string];
  if (kind !== 'ft' && kind !== 'pt') return undefined;
  if (!PART.test(base) || !PART.test(team) || !PART.test(id)) return undefined;
  if (suffix !== '' && !SUFFIX_PATTERN.test(suffix)) return undefined;
  return { kind, base, team, suffix, id };
}

/** The short id a job's model carries: the job id without its `ftjob-` prefix. */
export function modelIdOfJob(jobId: string): string {
  return jobId.replace(/^ftjob-/, '');
}

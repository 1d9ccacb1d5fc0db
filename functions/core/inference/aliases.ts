import { NotFoundError, ValidationError } from '#core/errors.ts';
import type { AliasReader, AliasRecord, AliasVariant } from '#core/inference/ports.ts';
import { parseTunedModelName } from '#core/jobs/model-names.ts';
import { findBaseModel } from '#core/jobs/models.ts';
import type { ModelStore } from '#core/jobs/ports.ts';

/**
 * A/B aliases: a team-chosen name that spreads requests over weighted variants. The rules here keep an
 * alias from ever being mistaken for a model (no `:`, never a base model's id) and keep every variant a
 * real model the team may use, so resolving an alias on the completion path is one read, never a chain.
 */

/** Letters, digits, `.`, `_`, `-`; starts with a letter or digit; at most 64 characters (a URL segment). */
export const ALIAS_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** More variants than this is no longer an A/B test, and keeps the alias item small. */
export const MAX_ALIAS_VARIANTS = 10;

/** What an alias has seen per variant: requests served, and the feedback those completions received. */
export interface VariantStats {
  readonly served: number;
  readonly feedbackCount: number;
  /** The sum of the scores, so the mean is exact however many arrive concurrently. */
  readonly feedbackSum: number;
}

export const NO_STATS: VariantStats = { served: 0, feedbackCount: 0, feedbackSum: 0 };

/** An alias with its per-variant counters (`stats[i]` belongs to `variants[i]`). */
export interface AliasState extends AliasRecord {
  readonly stats: readonly VariantStats[];
}

/** Aliases in storage: the completion path reads them, the API manages them. */
export interface AliasStore extends AliasReader {
  get(team: string, name: string): Promise<AliasState | undefined>;
  /**
   * Creates the alias or replaces its variants. Counters of variants that remain are kept; those of
   * removed variants are dropped; new variants start at zero.
   */
  put(
    team: string,
    name: string,
    variants: readonly AliasVariant[],
    now: number,
  ): Promise<{ alias: AliasState; created: boolean }>;
  /** Every alias of the team, by name. */
  list(team: string): Promise<AliasState[]>;
  /** False when there was none. */
  delete(team: string, name: string): Promise<boolean>;
}

/** Throws a 400 naming `name` unless it is a valid alias name that cannot shadow a model. */
export function validateAliasName(name: string): void {
  const shown = name.slice(0, 80);
  if (name.includes(':')) {
    throw new ValidationError(
      `Invalid alias name '${shown}': an alias name cannot contain ':', which only ft: and pt: model names use.`,
      { param: 'name', code: 'invalid_alias_name' },
    );
  }
  if (findBaseModel(name)) {
    throw new ValidationError(
      `Invalid alias name '${shown}': it is the name of a base model, which an alias must not shadow.`,
      { param: 'name', code: 'invalid_alias_name' },
    );
  }
  if (!ALIAS_NAME_PATTERN.test(name)) {
    throw new ValidationError(
      `Invalid alias name '${shown}': use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit.`,
      { param: 'name', code: 'invalid_alias_name' },
    );
  }
}

function invalidVariants(message: string, param: string): ValidationError {
  return new ValidationError(message, { param, code: 'invalid_variants' });
}

/**
 * Throws a 400 naming the offending field (`variants.1.weight`: the dotted path the API's zod errors use
 * too, so a client reads one syntax whichever check failed) unless there are 1 to
 * {@link MAX_ALIAS_VARIANTS} variants, each naming a different model that could be a base or tuned model,
 * each weight finite and non-negative, and the weights summing to a positive number.
 */
export function validateAliasVariants(variants: readonly AliasVariant[]): void {
  if (variants.length === 0 || variants.length > MAX_ALIAS_VARIANTS) {
    throw invalidVariants(
      `An alias needs 1 to ${MAX_ALIAS_VARIANTS} variants, got ${variants.length}.`,
      'variants',
    );
  }
  const seen = new Map<string, number>();
  variants.forEach((variant, i) => {
    const first = seen.get(variant.model);
    if (first !== undefined) {
      throw invalidVariants(
        `Invalid value for 'variants.${i}.model': the model '${variant.model.slice(0, 200)}' is already variants.${first}; each model may appear once.`,
        `variants.${i}.model`,
      );
    }
    seen.set(variant.model, i);
    if (!Number.isFinite(variant.weight) || variant.weight < 0) {
      throw invalidVariants(
        `Invalid value for 'variants.${i}.weight': a weight must be a finite number of at least 0, got ${variant.weight}.`,
        `variants.${i}.weight`,
      );
    }
    if (!findBaseModel(variant.model) && !parseTunedModelName(variant.model)) {
      throw invalidVariants(
        `Invalid value for 'variants.${i}.model': '${variant.model.slice(0, 200)}' is neither a base model nor an ft:/pt: model; an alias cannot name another alias.`,
        `variants.${i}.model`,
      );
    }
  });
  const total = variants.reduce((sum, v) => sum + v.weight, 0);
  if (!(total > 0) || !Number.isFinite(total)) {
    throw invalidVariants(
      `The variants' weights must sum to a positive finite number, got ${total}; give at least one variant a weight above 0.`,
      'variants',
    );
  }
}

/**
 * Throws a 404 naming the variant unless each tuned model exists in the team's model store; another
 * team's model is the same 404 as one that does not exist. Call after {@link validateAliasVariants}.
 */
export async function checkVariantModelsExist(
  models: ModelStore,
  team: string,
  variants: readonly AliasVariant[],
): Promise<void> {
  const records = await Promise.all(
    variants.map(async (variant) => {
      if (findBaseModel(variant.model)) return true;
      const name = parseTunedModelName(variant.model);
      return name?.team === team ? (await models.get(team, variant.model)) !== undefined : false;
    }),
  );
  const missing = records.indexOf(false);
  const variant = variants[missing];
  if (variant) {
    throw new NotFoundError(
      `Invalid value for 'variants.${missing}.model': the model '${variant.model.slice(0, 200)}' does not exist or you do not have access to it.`,
      { param: `variants.${missing}.model`, code: 'model_not_found' },
    );
  }
}

/** One variant as the API shows it: its weight, the traffic it got, and the feedback on that traffic. */
export interface AliasVariantObject {
  model: string;
  weight: number;
  /** `share` is this variant's part of all requests served through the alias (null before the first). */
  traffic: { served: number; share: number | null };
  /** `mean` is the mean score in [-1, 1] (null before the first feedback). */
  feedback: { count: number; mean: number | null };
}

/** The alias object of the API (`GET /v1/aliases/{name}`), in OpenAI's object conventions. */
export interface AliasObject {
  id: string;
  object: 'alias';
  name: string;
  variants: AliasVariantObject[];
  created_at: number;
  updated_at: number;
}

export function aliasObject(alias: AliasState): AliasObject {
  const total = alias.stats.reduce((sum, s) => sum + s.served, 0);
  return {
    id: alias.name,
    object: 'alias',
    name: alias.name,
    variants: alias.variants.map((variant, i) => {
      const stats = alias.stats[i] ?? NO_STATS;
      return {
        model: variant.model,
        weight: variant.weight,
        traffic: { served: stats.served, share: total > 0 ? stats.served / total : null },
        feedback: {
          count: stats.feedbackCount,
          mean: stats.feedbackCount > 0 ? stats.feedbackSum / stats.feedbackCount : null,
        },
      };
    }),
    created_at: alias.createdAt,
    updated_at: alias.updatedAt,
  };
}

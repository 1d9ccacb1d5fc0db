/**
 * What inference needs from storage, implemented over DynamoDB in functions/aws/. Shared by the
 * completion handler (which resolves aliases and records what it served) and the API (which manages
 * aliases and takes feedback), so both sides agree on one shape.
 */

/** One arm of an A/B alias: a model name (base, `ft:` or `pt:`; never another alias) and its weight. */
export interface AliasVariant {
  readonly model: string;
  /** Non-negative; the variants' weights must sum to a positive number. */
  readonly weight: number;
}

/** A team's named, weighted set of models: requests to the name are spread over the variants. */
export interface AliasRecord {
  readonly team: string;
  readonly name: string;
  readonly variants: readonly AliasVariant[];
  /** Unix seconds. */
  readonly createdAt: number;
  /** Unix seconds; a weight change (an instant rollback) moves it. */
  readonly updatedAt: number;
  /**
   * A random id given when the alias is created and kept by every replace. An alias deleted and created
   * again under the same name has a new one, so completions served by the old alias (kept 30 days for
   * feedback) never count toward the new one's variants.
   */
  readonly generation: string;
}

/** Reads aliases on the completion path. */
export interface AliasReader {
  get(team: string, name: string): Promise<AliasRecord | undefined>;
}

/** A completion that was served, kept so feedback can be attributed to the variant that produced it. */
export interface ServedCompletion {
  readonly team: string;
  /** The completion's id (`cmpl-…` or `chatcmpl-…`), as returned to the caller. */
  readonly id: string;
  /** The model that produced it (for an alias: the variant served). */
  readonly model: string;
  /** The alias the request named, or null when it named a model directly. */
  readonly alias: string | null;
  /** That alias's `generation` when it served the request, or null. */
  readonly aliasGeneration: string | null;
  /** Unix seconds. */
  readonly createdAt: number;
}

/** Records served completions; for an alias also counts the variant's traffic. */
export interface CompletionRecorder {
  recordServed(entry: ServedCompletion): Promise<void>;
}

import { NotFoundError, ValidationError } from '#core/errors.ts';
import { pickVariant } from '#core/inference/alias-routing.ts';
import type { AliasReader } from '#core/inference/ports.ts';
import { parseTunedModelName } from '#core/jobs/model-names.ts';
import { findBaseModel, type ModelRecord } from '#core/jobs/models.ts';
import type { ModelStore } from '#core/jobs/ports.ts';

/**
 * What a completion request's `model` (and optional `adapter`) name, resolved to artifacts: the model
 * that computes (a built-in base model or a team's `ft:` model) and the tuned prompt attached to it, if
 * any. A team sees only its own tuned models and aliases; anything else is the same 404 as a name that
 * does not exist, so a name never reveals another team's model.
 */

/** The weights a request runs on. */
export type ServedWeights =
  | { readonly kind: 'base'; readonly id: string; readonly directory: string }
  | { readonly kind: 'ft'; readonly id: string; readonly artifactPrefix: string };

/** A tuned prompt (PEFT adapter files under `artifactPrefix`). */
export interface ServedPrompt {
  readonly id: string;
  readonly artifactPrefix: string;
}

export interface ResolvedModel {
  /** The model name the response reports: what was asked for, or for an alias the variant served. */
  readonly served: string;
  /** The alias the request named, or null. */
  readonly alias: string | null;
  /** The alias's `generation` (see AliasRecord), or null. */
  readonly aliasGeneration: string | null;
  readonly weights: ServedWeights;
  readonly prompt: ServedPrompt | null;
}

export interface ResolveRequest {
  readonly team: string;
  readonly model: string;
  /** Attune's extension: a `pt:` prompt to attach to `model`. */
  readonly adapter?: string | undefined;
  /** Makes an alias's variant sticky for this user. */
  readonly user?: string | undefined;
}

export interface ResolveDeps {
  readonly models: Pick<ModelStore, 'get'>;
  readonly aliases: AliasReader;
  /** Numbers in [0, 1) for alias draws without a user. */
  readonly random: () => number;
}

/** OpenAI's 404 for a model the caller cannot use, with OpenAI's code. */
export function modelNotFound(name: string, param = 'model'): NotFoundError {
  return new NotFoundError(
    `The model '${name.slice(0, 200)}' does not exist or you do not have access to it.`,
    { param, code: 'model_not_found' },
  );
}

/** The team's own tuned model of that name, or undefined (another team's name is never looked up). */
async function teamRecord(deps: ResolveDeps, team: string, name: string): Promise<ModelRecord | undefined> {
  const parsed = parseTunedModelName(name);
  if (!parsed || parsed.team !== team) return undefined;
  return deps.models.get(team, name);
}

/** A base model or the team's `ft:` model, as the weights a prompt attaches to. */
async function weightsNamed(
  deps: ResolveDeps,
  team: string,
  name: string,
  param: string,
): Promise<ServedWeights> {
  const base = findBaseModel(name);
  if (base) return { kind: 'base', id: base.id, directory: base.directory };
  const record = await teamRecord(deps, team, name);
  if (record?.kind !== 'ft') throw modelNotFound(name, param);
  return { kind: 'ft', id: record.id, artifactPrefix: record.artifactPrefix };
}

/** A model name that is not an alias: base, `ft:` or `pt:` (its prompt on the model it attaches to). */
async function resolveModelName(
  deps: ResolveDeps,
  team: string,
  name: string,
): Promise<{ weights: ServedWeights; prompt: ServedPrompt | null } | undefined> {
  const base = findBaseModel(name);
  if (base) return { weights: { kind: 'base', id: base.id, directory: base.directory }, prompt: null };
  const record = await teamRecord(deps, team, name);
  if (!record) return undefined;
  if (record.kind === 'ft') {
    return { weights: { kind: 'ft', id: record.id, artifactPrefix: record.artifactPrefix }, prompt: null };
  }
  const target = record.attachesTo ?? record.baseModel;
  return {
    weights: await weightsNamed(deps, team, target, 'model'),
    prompt: { id: record.id, artifactPrefix: record.artifactPrefix },
  };
}

/** The `adapter` extension: the team's `pt:` prompt, which must have been tuned on `weights`. */
async function resolveAdapter(
  deps: ResolveDeps,
  team: string,
  adapter: string,
  weights: ServedWeights,
): Promise<ServedPrompt> {
  if (parseTunedModelName(adapter)?.kind !== 'pt') {
    throw new ValidationError(`Invalid value for 'adapter': '${adapter.slice(0, 200)}' is not a pt: model.`, {
      param: 'adapter',
      code: 'invalid_value',
    });
  }
  const record = await teamRecord(deps, team, adapter);
  if (!record) throw modelNotFound(adapter, 'adapter');
  const target = record.attachesTo ?? record.baseModel;
  if (target !== weights.id) {
    throw new ValidationError(
      `The adapter '${adapter}' was tuned on '${target}' and cannot be attached to '${weights.id}'.`,
      { param: 'adapter', code: 'adapter_incompatible' },
    );
  }
  return { id: record.id, artifactPrefix: record.artifactPrefix };
}

/**
 * Resolves `model` (base, `ft:`, `pt:` or one of the team's aliases) and `adapter`. An alias picks a
 * variant (`pickVariant`); a variant that is itself an alias, or gone, is a 404 naming the variant.
 */
export async function resolveModel(request: ResolveRequest, deps: ResolveDeps): Promise<ResolvedModel> {
  const { team, model, adapter } = request;
  let served = model;
  let alias: string | null = null;
  let aliasGeneration: string | null = null;
  let resolved = await resolveModelName(deps, team, model);
  if (!resolved && parseTunedModelName(model) === undefined) {
    const record = await deps.aliases.get(team, model);
    if (!record) throw modelNotFound(model);
    served = pickVariant(record, request.user, deps.random).model;
    alias = record.name;
    aliasGeneration = record.generation;
    resolved = await resolveModelName(deps, team, served);
  }
  if (!resolved) throw modelNotFound(served);
  if (adapter === undefined) return { served, alias, aliasGeneration, ...resolved };
  if (resolved.prompt) {
    throw new ValidationError(
      `'${served}' already carries a tuned prompt; 'adapter' attaches one to a base or ft: model only.`,
      { param: 'adapter', code: 'invalid_value' },
    );
  }
  return {
    served,
    alias,
    aliasGeneration,
    weights: resolved.weights,
    prompt: await resolveAdapter(deps, team, adapter, resolved.weights),
  };
}

import { type Clock, epochSeconds } from '#core/clock.ts';
import { NotFoundError } from '#core/errors.ts';
import {
  type AliasState,
  type AliasStore,
  checkVariantModelsExist,
  validateAliasName,
  validateAliasVariants,
} from '#core/inference/aliases.ts';
import type { AliasVariant } from '#core/inference/ports.ts';
import type { ModelStore } from '#core/jobs/ports.ts';

/**
 * The aliases API without HTTP. A put creates the alias or replaces its variants (setting a variant's
 * weight to 0 is the instant rollback); counters of variants that remain are kept. Another team's alias is
 * the same 404 as one that does not exist.
 */

export interface AliasServiceDeps {
  readonly aliases: AliasStore;
  readonly models: ModelStore;
  readonly now: Clock;
}

function aliasNotFound(name: string): NotFoundError {
  return new NotFoundError(
    `The alias '${name.slice(0, 200)}' does not exist or you do not have access to it.`,
    { param: 'name', code: 'alias_not_found' },
  );
}

/** Validates the name and every variant (each a model the team may use), then writes the whole alias. */
export async function putAlias(
  deps: AliasServiceDeps,
  team: string,
  name: string,
  variants: readonly AliasVariant[],
): Promise<{ alias: AliasState; created: boolean }> {
  validateAliasName(name);
  validateAliasVariants(variants);
  await checkVariantModelsExist(deps.models, team, variants);
  return deps.aliases.put(team, name, variants, epochSeconds(deps.now));
}

export async function getAlias(
  deps: Pick<AliasServiceDeps, 'aliases'>,
  team: string,
  name: string,
): Promise<AliasState> {
  const alias = await deps.aliases.get(team, name);
  if (!alias) throw aliasNotFound(name);
  return alias;
}

export async function deleteAlias(
  deps: Pick<AliasServiceDeps, 'aliases'>,
  team: string,
  name: string,
): Promise<void> {
  if (!(await deps.aliases.delete(team, name))) throw aliasNotFound(name);
}

import { describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError } from '#core/errors.ts';
import { type AliasServiceDeps, deleteAlias, getAlias, putAlias } from '#core/inference/alias-service.ts';
import type { AliasVariant } from '#core/inference/ports.ts';
import { InMemoryAliasStore } from '#tests/unit/inference/in-memory-alias-store.ts';
import { InMemoryModelStore, modelRecord } from '#tests/unit/models/in-memory-model-store.ts';

const TEAM = 'sales';
const OURS = 'pt:attune-tiny:sales:faq:01jab000000000000000000001';
const THEIRS = 'pt:attune-tiny:support:faq:01jab000000000000000000002';

/** An alias service whose clock reads `seconds` (plus milliseconds it must drop) until moved. */
function service() {
  const clock = { seconds: 1_795_900_000 };
  const aliases = new InMemoryAliasStore();
  const models = new InMemoryModelStore([modelRecord(OURS), modelRecord(THEIRS)]);
  const deps: AliasServiceDeps = { aliases, models, now: () => clock.seconds * 1000 + 999 };
  return { deps, aliases, clock };
}

const split: AliasVariant[] = [
  { model: 'attune-tiny', weight: 9 },
  { model: OURS, weight: 1 },
];

describe('putAlias', () => {
  it('Given a new name and valid variants, then the alias is created with those variants', async () => {
    const { deps, aliases } = service();
    const { alias, created } = await putAlias(deps, TEAM, 'chat', split);
    expect(created).toBe(true);
    expect(alias).toMatchObject({ team: TEAM, name: 'chat', variants: split });
    expect(await aliases.get(TEAM, 'chat')).toEqual(alias);
  });

  it('Given the injected clock, then a new alias is created and updated at its reading in seconds', async () => {
    const { deps } = service();
    const { alias } = await putAlias(deps, TEAM, 'chat', split);
    expect(alias).toMatchObject({ createdAt: 1_795_900_000, updatedAt: 1_795_900_000 });
  });

  it('Given an existing alias and a later clock, then a put replaces it and moves only updatedAt', async () => {
    const { deps, clock } = service();
    await putAlias(deps, TEAM, 'chat', split);
    clock.seconds += 60;
    const { alias, created } = await putAlias(deps, TEAM, 'chat', [{ model: 'attune-tiny', weight: 1 }]);
    expect(created).toBe(false);
    expect(alias).toMatchObject({ createdAt: 1_795_900_000, updatedAt: 1_795_900_060 });
    expect(alias.variants).toEqual([{ model: 'attune-tiny', weight: 1 }]);
  });

  it('Given a name with a colon, then 400 invalid_alias_name naming name and nothing is written', async () => {
    const { deps, aliases } = service();
    const failed = putAlias(deps, TEAM, 'pt:chat', split);
    await expect(failed).rejects.toBeInstanceOf(ValidationError);
    await expect(failed).rejects.toMatchObject({ param: 'name', code: 'invalid_alias_name' });
    expect(await aliases.list(TEAM)).toEqual([]);
  });

  it('Given no variants, then 400 invalid_variants and nothing is written', async () => {
    const { deps, aliases } = service();
    const failed = putAlias(deps, TEAM, 'chat', []);
    await expect(failed).rejects.toBeInstanceOf(ValidationError);
    await expect(failed).rejects.toMatchObject({ param: 'variants', code: 'invalid_variants' });
    expect(await aliases.list(TEAM)).toEqual([]);
  });

  it('Given a variant naming a tuned model that does not exist, then 404 naming that variant', async () => {
    const { deps, aliases } = service();
    const missing = 'pt:attune-tiny:sales:faq:01jab000000000000000000009';
    const failed = putAlias(deps, TEAM, 'chat', [
      { model: 'attune-tiny', weight: 1 },
      { model: missing, weight: 1 },
    ]);
    await expect(failed).rejects.toBeInstanceOf(NotFoundError);
    await expect(failed).rejects.toMatchObject({ param: 'variants.1.model', code: 'model_not_found' });
    expect(await aliases.list(TEAM)).toEqual([]);
  });

  it("Given a variant naming another team's model, then the same 404 and nothing is written", async () => {
    const { deps, aliases } = service();
    const failed = putAlias(deps, TEAM, 'chat', [{ model: THEIRS, weight: 1 }]);
    await expect(failed).rejects.toMatchObject({
      statusCode: 404,
      param: 'variants.0.model',
      code: 'model_not_found',
    });
    expect(await aliases.list(TEAM)).toEqual([]);
  });
});

describe('getAlias', () => {
  it("Given the team's alias, then it is returned", async () => {
    const { deps } = service();
    await putAlias(deps, TEAM, 'chat', split);
    expect(await getAlias(deps, TEAM, 'chat')).toMatchObject({ name: 'chat', variants: split });
  });

  it('Given no such alias, then 404 alias_not_found naming name', async () => {
    const { deps } = service();
    const failed = getAlias(deps, TEAM, 'chat');
    await expect(failed).rejects.toBeInstanceOf(NotFoundError);
    await expect(failed).rejects.toMatchObject({ param: 'name', code: 'alias_not_found' });
  });

  it("Given another team's alias of that name, then the same 404", async () => {
    const { deps } = service();
    await putAlias(deps, 'support', 'chat', [{ model: 'attune-tiny', weight: 1 }]);
    await expect(getAlias(deps, TEAM, 'chat')).rejects.toMatchObject({
      statusCode: 404,
      code: 'alias_not_found',
    });
  });
});

describe('deleteAlias', () => {
  it("Given the team's alias, then it is gone", async () => {
    const { deps, aliases } = service();
    await putAlias(deps, TEAM, 'chat', split);
    await deleteAlias(deps, TEAM, 'chat');
    expect(await aliases.get(TEAM, 'chat')).toBeUndefined();
  });

  it('Given no such alias, then 404 alias_not_found naming name', async () => {
    const { deps } = service();
    const failed = deleteAlias(deps, TEAM, 'chat');
    await expect(failed).rejects.toBeInstanceOf(NotFoundError);
    await expect(failed).rejects.toMatchObject({ param: 'name', code: 'alias_not_found' });
  });

  it("Given another team's alias of that name, then 404 and theirs is kept", async () => {
    const { deps, aliases } = service();
    await putAlias(deps, 'support', 'chat', [{ model: 'attune-tiny', weight: 1 }]);
    await expect(deleteAlias(deps, TEAM, 'chat')).rejects.toMatchObject({ statusCode: 404 });
    expect(await aliases.get('support', 'chat')).toBeDefined();
  });
});

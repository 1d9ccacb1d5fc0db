import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { AliasRepository, aliasSk } from '#aws/alias-repository.ts';
import { CompletionLogRepository } from '#aws/completion-log-repository.ts';
import { teamPk } from '#aws/table-keys.ts';
import { NO_STATS } from '#core/inference/aliases.ts';
import { testClients, testConfig } from '#tests/test-clients.ts';

const config = testConfig();
const { dynamo } = testClients();
const aliases = new AliasRepository(dynamo, config.tableName);
const log = new CompletionLogRepository(dynamo, config.tableName);
const team = () => `t-${randomUUID().slice(0, 12)}`;
const NOW = 1_800_000_000;
const A = 'attune-tiny';
const B = 'pt:attune-tiny:x::b';
const C = 'pt:attune-tiny:x::c';

/** A completion served through `alias` as it is now (its current generation), or directly. */
async function serve(t: string, alias: string | null, model: string) {
  const aliasGeneration = alias === null ? null : ((await aliases.get(t, alias))?.generation ?? null);
  const entry = { team: t, id: `cmpl-${randomUUID()}`, model, alias, aliasGeneration, createdAt: NOW };
  await log.recordServed(entry);
  return entry;
}

describe('alias repository (DynamoDB Local)', () => {
  it('Given no alias, when put, then it is created with zeroed counters and reads back', async () => {
    const t = team();
    const variants = [
      { model: A, weight: 0.9 },
      { model: B, weight: 0.1 },
    ];
    const { created, alias } = await aliases.put(t, 'chat', variants, NOW);
    expect(created).toBe(true);
    expect(alias).toEqual({
      team: t,
      name: 'chat',
      variants,
      createdAt: NOW,
      updatedAt: NOW,
      generation: expect.any(String),
      stats: [NO_STATS, NO_STATS],
    });
    expect(await aliases.get(t, 'chat')).toEqual(alias);
  });

  it('Given an alias, when another team reads it, then it is absent', async () => {
    const t = team();
    await aliases.put(t, 'chat', [{ model: A, weight: 1 }], NOW);
    expect(await aliases.get(team(), 'chat')).toBeUndefined();
  });

  it('Given 40 concurrent served requests through an alias, then each variant counts exactly its own', async () => {
    const t = team();
    await aliases.put(
      t,
      'ab',
      [
        { model: A, weight: 1 },
        { model: B, weight: 1 },
      ],
      NOW,
    );
    await Promise.all(Array.from({ length: 40 }, (_, i) => serve(t, 'ab', i % 4 === 0 ? B : A)));
    const alias = await aliases.get(t, 'ab');
    expect(alias?.stats.map((s) => s.served)).toEqual([30, 10]);
  });

  it('Given counted traffic, when the weights are replaced, then remaining variants keep their counters and new ones start at zero', async () => {
    const t = team();
    const first = [
      { model: A, weight: 1 },
      { model: B, weight: 1 },
    ];
    await aliases.put(t, 'ab', first, NOW);
    await Promise.all([serve(t, 'ab', A), serve(t, 'ab', A), serve(t, 'ab', B)]);
    const { created, alias } = await aliases.put(
      t,
      'ab',
      [
        { model: C, weight: 1 },
        { model: A, weight: 0 },
      ],
      NOW + 60,
    );
    expect(created).toBe(false);
    expect(alias.createdAt).toBe(NOW);
    expect(alias.updatedAt).toBe(NOW + 60);
    expect(alias.variants).toEqual([
      { model: C, weight: 1 },
      { model: A, weight: 0 },
    ]);
    expect(alias.stats.map((s) => s.served)).toEqual([0, 2]);
  });

  it('Given a variant removed and added again, then its counters start from zero', async () => {
    const t = team();
    await aliases.put(t, 'ab', [{ model: B, weight: 1 }], NOW);
    await serve(t, 'ab', B);
    await aliases.put(t, 'ab', [{ model: A, weight: 1 }], NOW + 1);
    await aliases.put(t, 'ab', [{ model: B, weight: 1 }], NOW + 2);
    expect((await aliases.get(t, 'ab'))?.stats).toEqual([NO_STATS]);
  });

  it('Given a served model that is no longer a variant, then it is not counted and does not come back', async () => {
    const t = team();
    await aliases.put(t, 'ab', [{ model: A, weight: 1 }], NOW);
    await serve(t, 'ab', B);
    const alias = await aliases.get(t, 'ab');
    expect(alias?.variants.map((v) => v.model)).toEqual([A]);
    expect(alias?.stats).toEqual([NO_STATS]);
  });

  it('Given a deleted alias, when a request it served is recorded, then nothing is recreated', async () => {
    const t = team();
    const { alias } = await aliases.put(t, 'gone', [{ model: A, weight: 1 }], NOW);
    expect(await aliases.delete(t, 'gone')).toBe(true);
    await log.recordServed({
      team: t,
      id: `cmpl-${randomUUID()}`,
      model: A,
      alias: 'gone',
      aliasGeneration: alias.generation,
      createdAt: NOW,
    });
    expect(await aliases.get(t, 'gone')).toBeUndefined();
  });

  it('Given an alias replaced, then it keeps its generation', async () => {
    const t = team();
    const first = await aliases.put(t, 'ab', [{ model: A, weight: 1 }], NOW);
    const second = await aliases.put(t, 'ab', [{ model: B, weight: 1 }], NOW + 1);
    expect(second.alias.generation).toBe(first.alias.generation);
  });

  it('Given an alias deleted and created again, when a request the old one served is recorded, then the new one does not count it', async () => {
    const t = team();
    const old = await aliases.put(t, 'ab', [{ model: A, weight: 1 }], NOW);
    await aliases.delete(t, 'ab');
    const recreated = await aliases.put(t, 'ab', [{ model: A, weight: 1 }], NOW + 1);
    expect(recreated.alias.generation).not.toBe(old.alias.generation);
    await log.recordServed({
      team: t,
      id: `cmpl-${randomUUID()}`,
      model: A,
      alias: 'ab',
      aliasGeneration: old.alias.generation,
      createdAt: NOW,
    });
    expect((await aliases.get(t, 'ab'))?.stats).toEqual([NO_STATS]);
  });

  it('Given no alias, when deleted, then false', async () => {
    expect(await aliases.delete(team(), 'nothing')).toBe(false);
  });

  it('Given concurrent replaces, then one set of variants wins whole and the item holds counters for exactly those variants', async () => {
    const t = team();
    await aliases.put(t, 'race', [{ model: A, weight: 1 }], NOW);
    const sets = [[B], [C], [A, B], [B, C], [A, C]].map((models) =>
      models.map((model) => ({ model, weight: 1 })),
    );
    await Promise.all(sets.map((variants, i) => aliases.put(t, 'race', variants, NOW + i)));
    const alias = await aliases.get(t, 'race');
    expect(sets).toContainEqual(alias?.variants);
    const raw = await dynamo.send(
      new GetCommand({ TableName: config.tableName, Key: { pk: teamPk(t), sk: aliasSk('race') } }),
    );
    expect(Object.keys(raw.Item?.stats ?? {}).sort()).toEqual(alias?.variants.map((v) => v.model).sort());
  });

  it("Given a team's aliases, when listed, then all of them by name and none of another team's", async () => {
    const t = team();
    await aliases.put(t, 'b-test', [{ model: A, weight: 1 }], NOW);
    await aliases.put(t, 'a-test', [{ model: A, weight: 1 }], NOW);
    await aliases.put(team(), 'c-test', [{ model: A, weight: 1 }], NOW);
    expect((await aliases.list(t)).map((a) => a.name)).toEqual(['a-test', 'b-test']);
  });
});

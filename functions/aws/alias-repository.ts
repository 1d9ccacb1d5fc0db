import { randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { conditionalWrite, isConditionFailure } from '#aws/conditional-write.ts';
import { parseItem, schemaOf } from '#aws/item-schema.ts';
import { teamPk } from '#aws/table-keys.ts';
import { allTeamItems } from '#aws/team-items.ts';
import { ConflictError } from '#core/errors.ts';
import { type AliasState, type AliasStore, NO_STATS, type VariantStats } from '#core/inference/aliases.ts';
import type { AliasVariant } from '#core/inference/ports.ts';

/**
 * A team's aliases live in its partition as `ALIAS#<name>`. The item carries its variants and, in the map
 * `stats` keyed by model name, each variant's counters (`served`, `feedbackCount`, `feedbackSum`), so
 * counting is one atomic `SET stats.#m.served = stats.#m.served + 1` on the item, conditional on the
 * variant still being there. `revision` (random) changes only when the variants do, so a replace never
 * loses an increment that raced it, and never applies to an alias deleted and created again meanwhile.
 * `generation` (random) is set at creation and kept by replaces: counts are conditional on it, so a
 * completion served by an alias that was since deleted and created again counts toward neither.
 */
export const ALIAS_SK_PREFIX = 'ALIAS#';
export const aliasSk = (name: string): string => `${ALIAS_SK_PREFIX}${name}`;

/** How often a replace re-reads and retries after another replace of the same alias won the race. */
const MAX_REPLACE_ATTEMPTS = 5;

const aliasVariantSchema = schemaOf<AliasVariant>()(z.object({ model: z.string(), weight: z.number() }));

const variantStatsSchema = schemaOf<Partial<VariantStats>>()(
  z.object({
    served: z.number().optional(),
    feedbackCount: z.number().optional(),
    feedbackSum: z.number().optional(),
  }),
);

/**
 * An alias item. The repository writes every variant's counters; a counter, or the whole `stats` map, that
 * an item lacks reads as zero, as it always has.
 */
const aliasItemSchema = z.object({
  team: z.string(),
  name: z.string(),
  variants: z.array(aliasVariantSchema),
  createdAt: z.number(),
  updatedAt: z.number(),
  revision: z.string(),
  generation: z.string(),
  stats: z.record(z.string(), variantStatsSchema).optional(),
});

type AliasItem = z.output<typeof aliasItemSchema>;

function toState(alias: AliasItem): AliasState {
  const { variants } = alias;
  return {
    team: alias.team,
    name: alias.name,
    variants,
    createdAt: alias.createdAt,
    updatedAt: alias.updatedAt,
    generation: alias.generation,
    stats: variants.map((v) => {
      const s = alias.stats?.[v.model];
      return {
        served: s?.served ?? 0,
        feedbackCount: s?.feedbackCount ?? 0,
        feedbackSum: s?.feedbackSum ?? 0,
      };
    }),
  };
}

const parseAlias = (item: Record<string, unknown>): AliasItem => parseItem(aliasItemSchema, item, 'alias');

/** Which variant of which alias, in which generation, served a completion. */
export interface ServingVariant {
  readonly alias: string;
  readonly generation: string;
  readonly model: string;
}

/** Counts apply only while the alias is the same one (its generation) and still has the variant. */
const VARIANT_STILL_SERVING = 'attribute_exists(stats.#m) AND generation = :generation';

/**
 * The update that counts one served request for the variant: atomic, and refused (a condition failure)
 * when the alias, its generation or that variant is gone, so a removed variant is not revived.
 */
export function countServedUpdate(tableName: string, team: string, variant: ServingVariant) {
  return {
    TableName: tableName,
    Key: { pk: teamPk(team), sk: aliasSk(variant.alias) },
    UpdateExpression: 'SET stats.#m.served = stats.#m.served + :one',
    ConditionExpression: VARIANT_STILL_SERVING,
    ExpressionAttributeNames: { '#m': variant.model },
    ExpressionAttributeValues: { ':one': 1, ':generation': variant.generation },
  };
}

/** The update that adds one feedback `score` to the variant's counters, under the same condition. */
export function countFeedbackUpdate(tableName: string, team: string, variant: ServingVariant, score: number) {
  return {
    TableName: tableName,
    Key: { pk: teamPk(team), sk: aliasSk(variant.alias) },
    UpdateExpression:
      'SET stats.#m.feedbackCount = stats.#m.feedbackCount + :one, stats.#m.feedbackSum = stats.#m.feedbackSum + :score',
    ConditionExpression: VARIANT_STILL_SERVING,
    ExpressionAttributeNames: { '#m': variant.model },
    ExpressionAttributeValues: { ':one': 1, ':score': score, ':generation': variant.generation },
  };
}

/** DynamoDB persistence of A/B aliases and their per-variant counters. */
export class AliasRepository implements AliasStore {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  private key(team: string, name: string) {
    return { pk: teamPk(team), sk: aliasSk(name) };
  }

  private async read(team: string, name: string): Promise<AliasItem | undefined> {
    const out = await this.dynamo.send(
      new GetCommand({ TableName: this.tableName, Key: this.key(team, name), ConsistentRead: true }),
    );
    return out.Item ? parseAlias(out.Item) : undefined;
  }

  async get(team: string, name: string): Promise<AliasState | undefined> {
    const item = await this.read(team, name);
    return item ? toState(item) : undefined;
  }

  async put(
    team: string,
    name: string,
    variants: readonly AliasVariant[],
    now: number,
  ): Promise<{ alias: AliasState; created: boolean }> {
    const plain = variants.map((v) => ({ model: v.model, weight: v.weight }));
    for (let attempt = 0; attempt < MAX_REPLACE_ATTEMPTS; attempt++) {
      const current = await this.read(team, name);
      if (!current) {
        const item: AliasItem = {
          team,
          name,
          variants: plain,
          createdAt: now,
          updatedAt: now,
          revision: randomUUID(),
          generation: randomUUID(),
          stats: Object.fromEntries(plain.map((v) => [v.model, { ...NO_STATS }])),
        };
        const created = await conditionalWrite(() =>
          this.dynamo.send(
            new PutCommand({
              TableName: this.tableName,
              Item: { ...this.key(team, name), ...item },
              ConditionExpression: 'attribute_not_exists(pk)',
            }),
          ),
        );
        if (created) return { alias: toState(item), created: true };
        continue;
      }
      const replaced = await this.replace(team, name, current, plain, now);
      if (replaced) return { alias: replaced, created: false };
    }
    throw new ConflictError(
      `The alias '${name}' was being changed by other requests at the same time; try again.`,
      { param: 'name', code: 'alias_busy' },
    );
  }

  /** Swaps the variants if nobody else did since `current` was read; undefined when someone did. */
  private async replace(
    team: string,
    name: string,
    current: AliasItem,
    variants: AliasVariant[],
    now: number,
  ): Promise<AliasState | undefined> {
    const names: Record<string, string> = { '#revision': 'revision' };
    const values: Record<string, unknown> = {
      ':variants': variants,
      ':now': now,
      ':revision': current.revision,
      ':next': randomUUID(),
    };
    const sets = ['variants = :variants', 'updatedAt = :now', '#revision = :next'];
    const removes: string[] = [];
    const kept = new Set(Object.keys(current.stats ?? {}));
    const wanted = new Set(variants.map((v) => v.model));
    variants.forEach((v, i) => {
      if (kept.has(v.model)) return;
      names[`#a${i}`] = v.model;
      values[`:zero${i}`] = { ...NO_STATS };
      sets.push(`stats.#a${i} = :zero${i}`);
    });
    [...kept].forEach((model, i) => {
      if (wanted.has(model)) return;
      names[`#r${i}`] = model;
      removes.push(`stats.#r${i}`);
    });
    try {
      const out = await this.dynamo.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(team, name),
          UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression: 'attribute_exists(pk) AND #revision = :revision',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes ? toState(parseAlias(out.Attributes)) : undefined;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  async list(team: string): Promise<AliasState[]> {
    return (await allTeamItems(this.dynamo, this.tableName, team, ALIAS_SK_PREFIX)).map((item) =>
      toState(parseAlias(item)),
    );
  }

  async delete(team: string, name: string): Promise<boolean> {
    return conditionalWrite(() =>
      this.dynamo.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: this.key(team, name),
          ConditionExpression: 'attribute_exists(pk)',
        }),
      ),
    );
  }
}

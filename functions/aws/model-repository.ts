import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { conditionalWrite } from '#aws/conditional-write.ts';
import { parseItem, schemaOf } from '#aws/item-schema.ts';
import { teamPk } from '#aws/table-keys.ts';
import { allTeamItems } from '#aws/team-items.ts';
import type { ModelRecord } from '#core/jobs/models.ts';
import type { ModelStore } from '#core/jobs/ports.ts';

/** A team's tuned models live in its partition as `MODEL#<ft:… or pt:… name>`. */
export const MODEL_SK_PREFIX = 'MODEL#';
export const modelSk = (id: string): string => `${MODEL_SK_PREFIX}${id}`;

/** A model item: the record, as a succeeded job registered it. */
const modelRecordSchema = schemaOf<ModelRecord>()(
  z.object({
    team: z.string(),
    id: z.string(),
    kind: z.enum(['ft', 'pt']),
    baseModel: z.string(),
    attachesTo: z.string().nullable(),
    jobId: z.string(),
    createdAt: z.number(),
    artifactPrefix: z.string(),
  }),
);

const toModel = (item: Record<string, unknown>): ModelRecord => parseItem(modelRecordSchema, item, 'model');

/** DynamoDB persistence of the tuned models a team's succeeded jobs registered. */
export class ModelRepository implements ModelStore {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(record: ModelRecord): Promise<void> {
    await this.dynamo.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: teamPk(record.team), sk: modelSk(record.id), ...record },
      }),
    );
  }

  async get(team: string, id: string): Promise<ModelRecord | undefined> {
    const out = await this.dynamo.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: teamPk(team), sk: modelSk(id) },
        ConsistentRead: true,
      }),
    );
    return out.Item ? toModel(out.Item) : undefined;
  }

  /** Newest first. A team has a handful of models, so they are read whole and sorted by creation. */
  async list(team: string): Promise<ModelRecord[]> {
    const models = (await allTeamItems(this.dynamo, this.tableName, team, MODEL_SK_PREFIX)).map(toModel);
    return models.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
  }

  async delete(team: string, id: string): Promise<boolean> {
    return conditionalWrite(() =>
      this.dynamo.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: teamPk(team), sk: modelSk(id) },
          ConditionExpression: 'attribute_exists(pk)',
        }),
      ),
    );
  }
}

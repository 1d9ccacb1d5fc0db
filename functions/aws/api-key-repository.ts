import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { parseItem } from '#aws/item-schema.ts';
import { API_KEY_SK, apiKeyPk } from '#aws/table-keys.ts';
import { hashApiKey } from '#core/api-keys.ts';

/** A key's item: the team it names, and when it was registered (Unix seconds). */
const apiKeyItemSchema = z.object({ team: z.string(), createdAt: z.number() });

/** API keys, stored only as hashes: the table never holds a usable key. */
export class ApiKeyRepository {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Registers a key for a team. Re-registering the same key for the same team is harmless. */
  async register(team: string, key: string, now: number = Date.now()): Promise<void> {
    await this.dynamo.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: apiKeyPk(hashApiKey(key)), sk: API_KEY_SK, team, createdAt: Math.floor(now / 1000) },
        ConditionExpression: 'attribute_not_exists(pk) OR team = :team',
        ExpressionAttributeValues: { ':team': team },
      }),
    );
  }

  /** The team a key names, or undefined for an unknown key. */
  async teamForKey(key: string): Promise<string | undefined> {
    const out = await this.dynamo.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: apiKeyPk(hashApiKey(key)), sk: API_KEY_SK } }),
    );
    return out.Item ? parseItem(apiKeyItemSchema, out.Item, 'API key').team : undefined;
  }
}

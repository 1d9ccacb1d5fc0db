import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { teamPk } from '#aws/table-keys.ts';

/**
 * Every item of one kind in a team's partition (its sort key starts with `skPrefix`), following
 * DynamoDB's pages to the end. For the kinds a team has a handful of (models, aliases), which callers
 * read whole and order themselves; the paginated lists of files and jobs page through the API instead.
 */
export async function allTeamItems(
  dynamo: DynamoDBDocumentClient,
  tableName: string,
  team: string,
  skPrefix: string,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await dynamo.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': teamPk(team), ':prefix': skPrefix },
        ExclusiveStartKey: startKey,
      }),
    );
    items.push(...(out.Items ?? []));
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return items;
}

import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { teamPk } from '#aws/table-keys.ts';
import type { SpendLedger } from '#core/estimate/budget.ts';

/** One item a month in the team's own partition: a team's spend is as private as its files. */
export const spendSk = (month: string): string => `SPEND#${month}`;

/**
 * The DynamoDB implementation of the budget's spend ledger. `add` is an atomic `ADD`, so two jobs
 * created at once both count, and a job's correction from estimated to actual cost is one more `add`
 * of the difference (negative when the job cost less).
 */
export class SpendRepository implements SpendLedger {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async spent(team: string, month: string): Promise<number> {
    const out = await this.dynamo.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: teamPk(team), sk: spendSk(month) },
        ConsistentRead: true,
      }),
    );
    return (out.Item?.usd as number | undefined) ?? 0;
  }

  async add(team: string, month: string, usd: number): Promise<void> {
    if (!Number.isFinite(usd)) throw new RangeError(`spend must be a finite number, got ${usd}`);
    await this.dynamo.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: teamPk(team), sk: spendSk(month) },
        UpdateExpression: 'ADD usd :usd',
        ExpressionAttributeValues: { ':usd': usd },
      }),
    );
  }
}

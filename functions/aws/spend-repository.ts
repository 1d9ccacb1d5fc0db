import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { transactionCancellationCodes } from '#aws/conditional-write.ts';
import { parseItem } from '#aws/item-schema.ts';
import { TTL_ATTRIBUTE, teamPk } from '#aws/table-keys.ts';
import type { SpendLedger } from '#core/estimate/budget.ts';

/** One item a month in the team's own partition: a team's spend is as private as its files. */
export const spendSk = (month: string): string => `SPEND#${month}`;
/** The marker that a job's correction was applied; kept about 13 months, past any budget month it affects. */
export const spendCorrectionSk = (jobId: string): string => `SPENDFIX#${jobId}`;
const CORRECTION_MARKER_SECONDS = 400 * 24 * 3600;

/** A month's spend item: `ADD` creates it with the first amount, so it always has one. */
const spendItemSchema = z.object({ usd: z.number() });

/**
 * The DynamoDB implementation of the budget's spend ledger. `add` is an atomic `ADD`, so two jobs
 * created at once both count, and a job's correction from estimated to actual cost is one more `add`
 * of the difference (negative when the job cost less), applied once per job: the correction and a marker
 * item are one transaction, conditional on the marker being new.
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
    return out.Item ? parseItem(spendItemSchema, out.Item, 'spend').usd : 0;
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

  async correct(team: string, month: string, usd: number, jobId: string): Promise<boolean> {
    if (!Number.isFinite(usd)) throw new RangeError(`spend must be a finite number, got ${usd}`);
    try {
      await this.dynamo.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  pk: teamPk(team),
                  sk: spendCorrectionSk(jobId),
                  month,
                  usd,
                  [TTL_ATTRIBUTE]: Math.floor(Date.now() / 1000) + CORRECTION_MARKER_SECONDS,
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Update: {
                TableName: this.tableName,
                Key: { pk: teamPk(team), sk: spendSk(month) },
                UpdateExpression: 'ADD usd :usd',
                ExpressionAttributeValues: { ':usd': usd },
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      // The marker's condition failed: this job's correction was applied before.
      if (transactionCancellationCodes(error)?.[0] === 'ConditionalCheckFailed') return false;
      throw error;
    }
  }
}

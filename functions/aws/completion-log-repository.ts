import { setTimeout as sleep } from 'node:timers/promises';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { countFeedbackUpdate, countServedUpdate } from '#aws/alias-repository.ts';
import { conditionalWrite, transactionCancellationCodes } from '#aws/conditional-write.ts';
import { parseItem, schemaOf } from '#aws/item-schema.ts';
import { TTL_ATTRIBUTE, teamPk } from '#aws/table-keys.ts';
import { HttpError } from '#core/errors.ts';
import {
  COMPLETION_RETENTION_SECONDS,
  type CompletionLog,
  type Feedback,
  type FeedbackOutcome,
} from '#core/inference/feedback.ts';
import type { ServedCompletion } from '#core/inference/ports.ts';

/**
 * Served completions live in the team's partition as `CMPL#<id>` for {@link COMPLETION_RETENTION_SECONDS}
 * (the item's `expiresAt` is the table's TTL attribute). Feedback is written onto the same item, at most
 * once, which makes "already has feedback" a condition DynamoDB checks.
 */
export const COMPLETION_SK_PREFIX = 'CMPL#';
export const completionSk = (id: string): string => `${COMPLETION_SK_PREFIX}${id}`;

/** Transactions touching the same alias item can collide; each retry waits a little longer. */
const MAX_TRANSACTION_ATTEMPTS = 6;

/** The served completion; an item from before aliases had generations has no `aliasGeneration`. */
const servedCompletionSchema = schemaOf<ServedCompletion>()(
  z.object({
    team: z.string(),
    id: z.string(),
    model: z.string(),
    alias: z.string().nullable().default(null),
    aliasGeneration: z.string().nullable().default(null),
    createdAt: z.number(),
  }),
);

/** A completion item: the completion, when the table may forget it, and its feedback score once given. */
const completionItemSchema = servedCompletionSchema.extend({
  [TTL_ATTRIBUTE]: z.number(),
  feedbackScore: z.number().optional(),
});

type CompletionItem = z.output<typeof completionItemSchema>;

function toServed(c: CompletionItem): ServedCompletion {
  return {
    team: c.team,
    id: c.id,
    model: c.model,
    alias: c.alias,
    aliasGeneration: c.aliasGeneration,
    createdAt: c.createdAt,
  };
}

/** DynamoDB log of served completions and their feedback; counts alias traffic and feedback per variant. */
export class CompletionLogRepository implements CompletionLog {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  private key(team: string, id: string) {
    return { pk: teamPk(team), sk: completionSk(id) };
  }

  /**
   * Stores the completion (once: a repeated id is ignored, so a retried call does not count twice) and, for
   * an alias, adds one to the served variant's traffic with an atomic update. A variant removed from the
   * alias meanwhile is not counted.
   */
  async recordServed(entry: ServedCompletion): Promise<void> {
    const stored = await conditionalWrite(() =>
      this.dynamo.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...this.key(entry.team, entry.id),
            team: entry.team,
            id: entry.id,
            model: entry.model,
            alias: entry.alias,
            aliasGeneration: entry.aliasGeneration,
            createdAt: entry.createdAt,
            [TTL_ATTRIBUTE]: entry.createdAt + COMPLETION_RETENTION_SECONDS,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    if (!stored || entry.alias === null || entry.aliasGeneration === null) return;
    const served = { alias: entry.alias, generation: entry.aliasGeneration, model: entry.model };
    await conditionalWrite(() =>
      this.dynamo.send(new UpdateCommand(countServedUpdate(this.tableName, entry.team, served))),
    );
  }

  /** Expired items are absent even before the TTL sweep (which can lag by days) removes them. */
  private async readLive(team: string, id: string): Promise<CompletionItem | undefined> {
    const out = await this.dynamo.send(
      new GetCommand({ TableName: this.tableName, Key: this.key(team, id), ConsistentRead: true }),
    );
    if (!out.Item) return undefined;
    const item = parseItem(completionItemSchema, out.Item, 'completion');
    return item[TTL_ATTRIBUTE] <= this.clock() ? undefined : item;
  }

  async getServed(team: string, id: string): Promise<ServedCompletion | undefined> {
    const item = await this.readLive(team, id);
    return item ? toServed(item) : undefined;
  }

  async recordFeedback(team: string, id: string, feedback: Feedback): Promise<FeedbackOutcome> {
    const item = await this.readLive(team, id);
    if (!item) return { status: 'not_found' };
    if (item.feedbackScore !== undefined) return { status: 'duplicate' };
    const completion = toServed(item);
    const setFeedback = {
      TableName: this.tableName,
      Key: this.key(team, id),
      UpdateExpression: 'SET feedbackScore = :score, feedbackComment = :comment, feedbackAt = :at',
      ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(feedbackScore)',
      ExpressionAttributeValues: {
        ':score': feedback.score,
        ':comment': feedback.comment,
        ':at': feedback.createdAt,
      },
    };
    let countVariant = completion.alias !== null && completion.aliasGeneration !== null;
    for (let attempt = 0; attempt < MAX_TRANSACTION_ATTEMPTS; attempt++) {
      if (!countVariant) {
        const written = await conditionalWrite(() => this.dynamo.send(new UpdateCommand(setFeedback)));
        return written ? { status: 'recorded', completion } : this.lostRace(team, id);
      }
      try {
        await this.dynamo.send(
          new TransactWriteCommand({
            TransactItems: [
              { Update: setFeedback },
              {
                Update: countFeedbackUpdate(
                  this.tableName,
                  team,
                  {
                    alias: completion.alias as string,
                    generation: completion.aliasGeneration as string,
                    model: completion.model,
                  },
                  feedback.score,
                ),
              },
            ],
          }),
        );
        return { status: 'recorded', completion };
      } catch (error) {
        const codes = transactionCancellationCodes(error);
        if (!codes) throw error;
        if (codes[0] === 'ConditionalCheckFailed') return this.lostRace(team, id);
        // The alias, its variant or its generation is gone: the feedback still belongs to the completion.
        if (codes[1] === 'ConditionalCheckFailed') countVariant = false;
        else await sleep(10 * 2 ** attempt * Math.random());
      }
    }
    throw new HttpError(503, 'Feedback could not be recorded because of concurrent updates; try again.', {
      type: 'server_error',
      code: 'feedback_busy',
    });
  }

  /** The feedback write's condition failed: someone recorded feedback first, or the item expired. */
  private async lostRace(team: string, id: string): Promise<FeedbackOutcome> {
    return (await this.readLive(team, id)) ? { status: 'duplicate' } : { status: 'not_found' };
  }
}

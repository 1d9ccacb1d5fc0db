import { createHash } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { conditionalWrite, isConditionFailure } from '#aws/conditional-write.ts';
import { parseItem } from '#aws/item-schema.ts';
import { checkpointSchema, idempotencyClaimSchema, jobEventSchema, jobRecordSchema } from '#aws/job-items.ts';
import { teamPk } from '#aws/table-keys.ts';
import { ConflictError } from '#core/errors.ts';
import type { ActualCost, JobRecord } from '#core/jobs/job.ts';
import type { CheckpointRecord, JobEventRecord } from '#core/jobs/job-events.ts';
import { isTerminal, type JobStatus, STATUS_RANK, TERMINAL_RANK } from '#core/jobs/job-status.ts';
import type {
  CreateOutcome,
  IdempotencyClaim,
  JobListQuery,
  JobProgress,
  JobStore,
  TransitionChanges,
  TransitionOutcome,
} from '#core/jobs/ports.ts';
import type { PageRequest } from '#core/pagination.ts';

/**
 * Jobs, their events and checkpoints in the team's partition of the single table:
 * `JOB#<id>` (ids sort by time, so a reverse query is newest first), `JOBEVT#<job>#<event>`,
 * `JOBCKPT#<job>#<checkpoint>` and `JOBIDEM#<sha256 of the Idempotency-Key>`.
 */
export const JOB_SK_PREFIX = 'JOB#';
export const jobSk = (id: string): string => `${JOB_SK_PREFIX}${id}`;
export const jobEventSk = (jobId: string, eventId: string): string => `JOBEVT#${jobId}#${eventId}`;
export const jobCheckpointSk = (jobId: string, id: string): string => `JOBCKPT#${jobId}#${id}`;
export const jobIdempotencySk = (key: string): string =>
  `JOBIDEM#${createHash('sha256').update(key).digest('hex')}`;

/**
 * Unfinished jobs of every team are also in `gsi1` under one key, so a process that restarts (the
 * embedded stack's runner) can find what it must resume without scanning the table. A job leaves the
 * index when it reaches a terminal status.
 */
export const ACTIVE_JOBS_GSI = 'gsi1';
export const ACTIVE_JOBS_KEY = 'JOBS#ACTIVE';

/** How long an Idempotency-Key is remembered (the item carries `expiresAt` for a TTL). */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

const toJob = (item: Record<string, unknown>): JobRecord => parseItem(jobRecordSchema, item, 'job');

/** DynamoDB persistence of jobs. Every status change is conditional on the current rank. */
export class JobRepository implements JobStore {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  private jobItem(job: JobRecord): Record<string, unknown> {
    // batchJobId is absent (not null) until set, so a transition can set it with if_not_exists.
    const { batchJobId, ...rest } = job;
    return {
      pk: teamPk(job.team),
      sk: jobSk(job.id),
      rank: STATUS_RANK[job.status],
      ...(isTerminal(job.status) ? {} : { gsi1pk: ACTIVE_JOBS_KEY, gsi1sk: job.id }),
      ...rest,
      ...(batchJobId ? { batchJobId } : {}),
    };
  }

  /**
   * Stores a new job. With an idempotency claim, the claim and the job are written in one transaction:
   * a retried create finds the claim and gets the first job back; the same key with a different request
   * is a 409.
   */
  async create(job: JobRecord, idempotency?: IdempotencyClaim): Promise<CreateOutcome> {
    const putJob = {
      TableName: this.tableName,
      Item: this.jobItem(job),
      ConditionExpression: 'attribute_not_exists(pk)',
    };
    if (!idempotency) {
      await this.dynamo.send(new PutCommand(putJob));
      return { job, created: true };
    }
    const claimKey = { pk: teamPk(job.team), sk: jobIdempotencySk(idempotency.key) };
    try {
      await this.dynamo.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  ...claimKey,
                  jobId: job.id,
                  fingerprint: idempotency.fingerprint,
                  expiresAt: job.createdAt + IDEMPOTENCY_TTL_SECONDS,
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            { Put: putJob },
          ],
        }),
      );
      return { job, created: true };
    } catch (error) {
      if ((error as Error)?.name !== 'TransactionCanceledException') throw error;
      return this.replay(job.team, claimKey, idempotency, error);
    }
  }

  private async replay(
    team: string,
    claimKey: { pk: string; sk: string },
    idempotency: IdempotencyClaim,
    cause: unknown,
  ): Promise<CreateOutcome> {
    const claim = await this.dynamo.send(
      new GetCommand({ TableName: this.tableName, Key: claimKey, ConsistentRead: true }),
    );
    // No claim: the transaction failed for another reason than the key being taken.
    if (!claim.Item) throw cause;
    const { jobId, fingerprint } = parseItem(idempotencyClaimSchema, claim.Item, 'idempotency claim');
    if (fingerprint !== idempotency.fingerprint) {
      throw new ConflictError(
        'This Idempotency-Key was already used for a different request; use a new key for a new job.',
        { param: 'Idempotency-Key', code: 'idempotency_key_reused', cause },
      );
    }
    const first = await this.get(team, jobId);
    if (!first) throw cause;
    return { job: first, created: false };
  }

  async get(team: string, id: string): Promise<JobRecord | undefined> {
    const out = await this.dynamo.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: teamPk(team), sk: jobSk(id) },
        ConsistentRead: true,
      }),
    );
    return out.Item ? toJob(out.Item) : undefined;
  }

  /** Newest first, filtered by metadata pairs; reads on until it has `limit + 1` matches or runs out. */
  async list(team: string, query: JobListQuery): Promise<JobRecord[]> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':pk': teamPk(team), ':prefix': JOB_SK_PREFIX };
    const filters: string[] = [];
    Object.entries(query.metadata ?? {}).forEach(([key, value], i) => {
      names['#metadata'] = 'metadata';
      names[`#k${i}`] = key;
      values[`:v${i}`] = value;
      filters.push(`#metadata.#k${i} = :v${i}`);
    });
    const jobs: JobRecord[] = [];
    let startKey: Record<string, unknown> | undefined = query.after
      ? { pk: teamPk(team), sk: jobSk(query.after) }
      : undefined;
    do {
      const out = await this.dynamo.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ...(filters.length > 0
            ? { FilterExpression: filters.join(' AND '), ExpressionAttributeNames: names }
            : {}),
          ExpressionAttributeValues: values,
          ScanIndexForward: false,
          Limit: query.limit + 1,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of out.Items ?? []) {
        if (jobs.length <= query.limit) jobs.push(toJob(item));
      }
      startKey = out.LastEvaluatedKey;
    } while (startKey && jobs.length < query.limit + 1);
    return jobs;
  }

  /**
   * Moves the job to `to` only if that raises its rank (the condition is checked by DynamoDB, so two
   * racing writers cannot both win and nothing moves backwards). A refused transition still records a
   * Batch job id the job did not have yet, since that id is a fact about the run, not a status.
   */
  async transition(
    team: string,
    id: string,
    to: JobStatus,
    changes: TransitionChanges = {},
  ): Promise<TransitionOutcome> {
    const key = { pk: teamPk(team), sk: jobSk(id) };
    const names: Record<string, string> = { '#status': 'status', '#rank': 'rank' };
    const values: Record<string, unknown> = { ':status': to, ':rank': STATUS_RANK[to] };
    const sets = ['#status = :status', '#rank = :rank'];
    for (const [field, value] of Object.entries(changes)) {
      if (value === undefined) continue;
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      sets.push(
        field === 'batchJobId' ? `#${field} = if_not_exists(#${field}, :${field})` : `#${field} = :${field}`,
      );
    }
    try {
      const out = await this.dynamo.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: `SET ${sets.join(', ')}${isTerminal(to) ? ' REMOVE gsi1pk, gsi1sk' : ''}`,
          ConditionExpression: 'attribute_exists(pk) AND #rank < :rank',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { applied: true, job: out.Attributes ? toJob(out.Attributes) : undefined };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    if (changes.batchJobId) await this.recordBatchJobId(team, id, changes.batchJobId);
    return { applied: false, job: await this.get(team, id) };
  }

  private async recordBatchJobId(team: string, id: string, batchJobId: string): Promise<void> {
    try {
      await this.dynamo.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: teamPk(team), sk: jobSk(id) },
          UpdateExpression: 'SET batchJobId = :b',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(batchJobId)',
          ExpressionAttributeValues: { ':b': batchJobId },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  /** Every team's unfinished jobs, oldest first (ids sort by time). */
  async listActive(): Promise<JobRecord[]> {
    const jobs: JobRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.dynamo.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: ACTIVE_JOBS_GSI,
          KeyConditionExpression: 'gsi1pk = :active',
          ExpressionAttributeValues: { ':active': ACTIVE_JOBS_KEY },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of out.Items ?? []) jobs.push(toJob(item));
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return jobs;
  }

  async recordProgress(team: string, id: string, progress: JobProgress): Promise<boolean> {
    return conditionalWrite(() =>
      this.dynamo.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: teamPk(team), sk: jobSk(id) },
          UpdateExpression: `SET trainedTokens = :tokens, estimatedFinish = :finish${progress.measured ? ', measuredRun = :measured' : ''}`,
          ConditionExpression: '#status = :running',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':tokens': progress.trainedTokens,
            ':finish': progress.estimatedFinish,
            ':running': 'running',
            ...(progress.measured ? { ':measured': progress.measured } : {}),
          },
        }),
      ),
    );
  }

  async recordActualCost(team: string, id: string, actual: ActualCost): Promise<boolean> {
    return conditionalWrite(() =>
      this.dynamo.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: teamPk(team), sk: jobSk(id) },
          UpdateExpression: 'SET actualCost = :actual',
          ConditionExpression:
            'attribute_exists(pk) AND #rank = :terminal AND attribute_not_exists(actualCost)',
          ExpressionAttributeNames: { '#rank': 'rank' },
          ExpressionAttributeValues: { ':actual': actual, ':terminal': TERMINAL_RANK },
        }),
      ),
    );
  }

  async addEvent(team: string, event: JobEventRecord): Promise<void> {
    await this.dynamo.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: teamPk(team), sk: jobEventSk(event.jobId, event.id), ...event },
      }),
    );
  }

  async listEvents(team: string, jobId: string, page: PageRequest): Promise<JobEventRecord[]> {
    const items = await this.queryNewestFirst(team, `JOBEVT#${jobId}#`, page, (after) =>
      jobEventSk(jobId, after),
    );
    return items.map((item) => parseItem(jobEventSchema, item, 'job event'));
  }

  async addCheckpoint(team: string, checkpoint: CheckpointRecord): Promise<void> {
    await this.dynamo.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: teamPk(team), sk: jobCheckpointSk(checkpoint.jobId, checkpoint.id), ...checkpoint },
      }),
    );
  }

  async listCheckpoints(team: string, jobId: string, page: PageRequest): Promise<CheckpointRecord[]> {
    const items = await this.queryNewestFirst(team, `JOBCKPT#${jobId}#`, page, (after) =>
      jobCheckpointSk(jobId, after),
    );
    return items.map((item) => parseItem(checkpointSchema, item, 'checkpoint'));
  }

  private async queryNewestFirst(
    team: string,
    prefix: string,
    page: PageRequest,
    skOf: (after: string) => string,
  ): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined = page.after
      ? { pk: teamPk(team), sk: skOf(page.after) }
      : undefined;
    do {
      const out = await this.dynamo.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': teamPk(team), ':prefix': prefix },
          ScanIndexForward: false,
          Limit: page.limit + 1 - items.length,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(out.Items ?? []));
      startKey = out.LastEvaluatedKey;
    } while (startKey && items.length < page.limit + 1);
    return items;
  }
}

import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { conditionalWrite } from '#aws/conditional-write.ts';
import { parseItem, schemaOf } from '#aws/item-schema.ts';
import { FILE_SK_PREFIX, fileSk, teamPk } from '#aws/table-keys.ts';
import type { DatasetIssue, DatasetReport, FileRecord, FileStatus, TokenStatistics } from '#core/files.ts';

/** A claim older than this is presumed to belong to a crashed ingestion and may be taken over. */
export const INGESTION_LEASE_MS = 15 * 60 * 1000;

const tokenStatisticsSchema = schemaOf<TokenStatistics>()(
  z.object({ min: z.number(), max: z.number(), mean: z.number(), p95: z.number(), total: z.number() }),
);

const datasetIssueSchema = schemaOf<DatasetIssue>()(
  z.object({ line: z.number(), code: z.string(), message: z.string() }),
);

const datasetReportSchema = schemaOf<DatasetReport>()(
  z.object({
    format: z.enum(['chat', 'prompt_completion']).nullable(),
    examples: z.number(),
    tokens: tokenStatisticsSchema.nullable(),
    duplicates: z.number(),
    errors: z.array(datasetIssueSchema),
    tokenizer: z.string(),
  }),
);

/**
 * A file item as {@link FileRepository} writes it: the record, with `report` once ingestion has run. The
 * ingestion claim (`ingestVersion`, `ingestClaimedAt`) and the keys are the table's, not the record's.
 */
const fileRecordSchema = schemaOf<FileRecord>()(
  z.object({
    team: z.string(),
    id: z.string(),
    filename: z.string(),
    purpose: z.string(),
    bytes: z.number(),
    createdAt: z.number(),
    status: z.enum(['uploaded', 'processed', 'error']),
    statusDetails: z.string().nullable(),
    objectKey: z.string(),
    report: datasetReportSchema.optional(),
  }),
);

const toRecord = (item: Record<string, unknown>): FileRecord => parseItem(fileRecordSchema, item, 'file');

/** DynamoDB persistence of file records; every status change is a conditional write. */
export class FileRepository {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Creates the record; fails if the id is taken (ids are random, so that means a bug). */
  async create(record: FileRecord): Promise<void> {
    await this.dynamo.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: teamPk(record.team), sk: fileSk(record.id), ...record },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  /** The team's file, or undefined: another team's id finds nothing because the key includes the team. */
  async get(team: string, fileId: string): Promise<FileRecord | undefined> {
    const out = await this.dynamo.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: teamPk(team), sk: fileSk(fileId) },
        ConsistentRead: true,
      }),
    );
    return out.Item ? toRecord(out.Item) : undefined;
  }

  /** Newest first; returns up to `limit + 1` records so the caller can tell whether more exist. */
  async list(team: string, limit: number, after?: string): Promise<FileRecord[]> {
    const records: FileRecord[] = [];
    let startKey: Record<string, unknown> | undefined = after
      ? { pk: teamPk(team), sk: fileSk(after) }
      : undefined;
    do {
      const out = await this.dynamo.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': teamPk(team), ':prefix': FILE_SK_PREFIX },
          ScanIndexForward: false,
          Limit: limit + 1 - records.length,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of out.Items ?? []) records.push(toRecord(item));
      startKey = out.LastEvaluatedKey;
    } while (startKey && records.length < limit + 1);
    return records;
  }

  /**
   * Claims ingestion of one object version. Returns false when that version was already ingested or is
   * being ingested by a live claim: S3 may deliver an event twice, and the second delivery must do nothing.
   */
  async claimIngestion(
    team: string,
    fileId: string,
    version: string,
    now: number = Date.now(),
  ): Promise<boolean> {
    return conditionalWrite(() =>
      this.dynamo.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: teamPk(team), sk: fileSk(fileId) },
          UpdateExpression: 'SET ingestVersion = :v, ingestClaimedAt = :now',
          ConditionExpression:
            'attribute_exists(pk) AND #status = :uploaded AND (attribute_not_exists(ingestVersion) OR (ingestVersion = :v AND ingestClaimedAt < :stale))',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':v': version,
            ':now': now,
            ':uploaded': 'uploaded',
            ':stale': now - INGESTION_LEASE_MS,
          },
        }),
      ),
    );
  }

  /** Records the outcome of the claimed ingestion; a no-op if the claim was lost or the file deleted. */
  async completeIngestion(
    team: string,
    fileId: string,
    version: string,
    outcome: {
      status: Exclude<FileStatus, 'uploaded'>;
      statusDetails: string | null;
      bytes: number;
      report: DatasetReport;
    },
  ): Promise<boolean> {
    return conditionalWrite(() =>
      this.dynamo.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: teamPk(team), sk: fileSk(fileId) },
          UpdateExpression:
            'SET #status = :status, statusDetails = :details, bytes = :bytes, report = :report',
          ConditionExpression: '#status = :uploaded AND ingestVersion = :v',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':status': outcome.status,
            ':details': outcome.statusDetails,
            ':bytes': outcome.bytes,
            ':report': outcome.report,
            ':uploaded': 'uploaded',
            ':v': version,
          },
        }),
      ),
    );
  }

  /**
   * Gives up a claim after an infrastructure failure, so the retry of the same event can claim it again at
   * once instead of waiting out the lease. A no-op when the claim is no longer this version's.
   */
  async releaseIngestion(team: string, fileId: string, version: string): Promise<boolean> {
    return conditionalWrite(() =>
      this.dynamo.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: teamPk(team), sk: fileSk(fileId) },
          UpdateExpression: 'REMOVE ingestVersion, ingestClaimedAt',
          ConditionExpression: '#status = :uploaded AND ingestVersion = :v',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':uploaded': 'uploaded', ':v': version },
        }),
      ),
    );
  }

  /** Deletes the team's record; returns false when there was none (delete is idempotent). */
  async delete(team: string, fileId: string): Promise<boolean> {
    return conditionalWrite(() =>
      this.dynamo.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: teamPk(team), sk: fileSk(fileId) },
          ConditionExpression: 'attribute_exists(pk)',
        }),
      ),
    );
  }
}

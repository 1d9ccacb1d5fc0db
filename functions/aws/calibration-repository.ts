import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { isConditionFailure } from '#aws/conditional-write.ts';
import { parseItem, schemaOf } from '#aws/item-schema.ts';
import {
  bucketKey,
  type CalibrationBucket,
  type CalibrationSample,
  type CalibrationStore,
  checkMeasurement,
  type Measurement,
} from '#core/estimate/throughput.ts';

/**
 * Measured training throughput in the single table, under the team-independent partition
 * `CALIBRATION#<bucket>`: how fast an instance type runs a method on a model size is a fact about the
 * hardware and the trainer, so every team's finished jobs sharpen every team's estimates. Items hold only
 * the bucket, the job id and the figure, never a team's data.
 */
export const calibrationPk = (bucket: CalibrationBucket): string => `CALIBRATION#${bucketKey(bucket)}`;

/** Sort key: time first (zero-padded milliseconds) so a reverse query returns the newest runs. */
export const calibrationSk = (sample: CalibrationSample): string =>
  `RUN#${String(sample.recordedAt).padStart(15, '0')}#${sample.jobId}`;

/** The estimator uses the median of this many most recent runs: old hardware and old code age out. */
export const RECENT_RUNS = 25;

/** Which runs a measurement is comparable with; also stored in a job's estimate. */
export const calibrationBucketSchema = schemaOf<CalibrationBucket>()(
  z.object({
    instanceType: z.string(),
    backend: z.enum(['tfjs-node', 'tfjs-node-gpu', 'tfjs-wasm', 'pytorch']),
    method: z.enum(['supervised', 'prompt_tuning']),
    modelSize: z.string(),
  }),
);

/** What the estimator reads of a run's item; the start-up and training seconds are absent when unknown. */
const measurementSchema = schemaOf<Measurement>()(
  z.object({
    tokensPerSecond: z.number(),
    flopsPerToken: z.number(),
    overheadSeconds: z.number().optional(),
    trainingSeconds: z.number().optional(),
  }),
);

/** The DynamoDB implementation of the estimator's calibration store. */
export class CalibrationRepository implements CalibrationStore {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Records one run; the same job recorded twice (a retried status event) is stored once. */
  async record(sample: CalibrationSample): Promise<void> {
    checkMeasurement(sample);
    try {
      await this.dynamo.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: calibrationPk(sample.bucket),
            sk: calibrationSk(sample),
            ...sample.bucket,
            jobId: sample.jobId,
            tokensPerSecond: sample.tokensPerSecond,
            flopsPerToken: sample.flopsPerToken,
            ...(sample.overheadSeconds === undefined ? {} : { overheadSeconds: sample.overheadSeconds }),
            ...(sample.trainingSeconds === undefined ? {} : { trainingSeconds: sample.trainingSeconds }),
            recordedAt: sample.recordedAt,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  async recent(bucket: CalibrationBucket): Promise<readonly Measurement[]> {
    const out = await this.dynamo.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :run)',
        ExpressionAttributeValues: { ':pk': calibrationPk(bucket), ':run': 'RUN#' },
        ScanIndexForward: false,
        Limit: RECENT_RUNS,
      }),
    );
    return (out.Items ?? []).map((item) => parseItem(measurementSchema, item, 'calibration'));
  }
}

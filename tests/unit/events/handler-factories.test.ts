import { Logger } from '@aws-lambda-powertools/logger';
import type { S3Event, ScheduledEvent } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import type { FileIngestionStore } from '#core/files/ports.ts';
import { fileObjectKey } from '#core/files.ts';
import { DISPATCH_DEADLINE_SECONDS } from '#core/jobs/interrupted-dispatch.ts';
import { createBatchStatusHandler } from '#events/batch-status-event.ts';
import { createDispatchSweepHandler } from '#events/dispatch-sweep-handler.ts';
import { createIngestHandler } from '#events/ingest-handler.ts';
import { InMemoryObjectStorage } from '#tests/unit/files/in-memory-files.ts';
import { InMemoryJobStore } from '#tests/unit/jobs/in-memory-job-store.ts';
import { batchEvent, jobRecord } from '#tests/unit/jobs/job-fixtures.ts';
import { InMemoryModelStore } from '#tests/unit/models/in-memory-model-store.ts';

/**
 * The event handlers' factories over in-memory dependencies: what each handler adds to the core function it
 * wraps (the bucket check, the report it returns, the outcome of an event for no Attune job).
 */

const silent = () => new Logger({ serviceName: 'attune-test', logLevel: 'SILENT' });

const BUCKET = 'attune-data';
const FILE_KEY = fileObjectKey('sales', 'file-01jab000000000000000000000');

function s3Event(...objects: Array<{ bucket: string; key: string }>): S3Event {
  return {
    Records: objects.map(({ bucket, key }) => ({
      eventName: 'ObjectCreated:Put',
      s3: { bucket: { name: bucket }, object: { key, size: 3, eTag: 'e', sequencer: '0A' } },
    })),
  } as unknown as S3Event;
}

/** File records that never grant a claim: an object that reaches ingestion is skipped, not ignored. */
function noClaims(): FileIngestionStore & { claimIngestion: ReturnType<typeof vi.fn> } {
  return {
    claimIngestion: vi.fn(async () => false),
    completeIngestion: async () => false,
    releaseIngestion: async () => false,
  };
}

function ingestHandler(files = noClaims(), logger = silent()) {
  const tokenizer = { name: 'test', count: (text: string) => text.length, countExample: () => 1 };
  return createIngestHandler({
    files,
    objects: new InMemoryObjectStorage(),
    tokenizer,
    logger,
    bucketName: BUCKET,
  });
}

describe('createIngestHandler', () => {
  it('Given an object of another bucket, then it is ignored without claiming the file', async () => {
    const files = noClaims();
    const results = await ingestHandler(files)(s3Event({ bucket: 'someone-else', key: FILE_KEY }));
    expect(results).toEqual([{ outcome: 'ignored' }]);
    expect(files.claimIngestion).not.toHaveBeenCalled();
  });

  it('Given an object of another bucket, then a warning names that bucket and key', async () => {
    const logger = silent();
    const warn = vi.spyOn(logger, 'warn');
    await ingestHandler(noClaims(), logger)(s3Event({ bucket: 'someone-else', key: FILE_KEY }));
    expect(warn).toHaveBeenCalledWith('Ignored an object of another bucket', {
      bucket: 'someone-else',
      key: FILE_KEY,
    });
  });

  it("Given objects of both buckets, then only the handler's bucket's object reaches ingestion", async () => {
    const files = noClaims();
    const results = await ingestHandler(files)(
      s3Event({ bucket: 'someone-else', key: FILE_KEY }, { bucket: BUCKET, key: FILE_KEY }),
    );
    expect(results).toEqual([{ outcome: 'ignored' }, { outcome: 'skipped' }]);
    expect(files.claimIngestion).toHaveBeenCalledOnce();
  });
});

describe('createDispatchSweepHandler', () => {
  const CREATED = 1_795_900_000;
  const stranded = jobRecord({
    id: 'ftjob-01jab000000000000000000001',
    createdAt: CREATED,
    status: 'validating_files',
    batchJobId: null,
  });
  const running = jobRecord({
    id: 'ftjob-01jab000000000000000000002',
    createdAt: CREATED,
    status: 'running',
  });

  it('Given a stranded job beside a running one, then it returns how many it checked and which it failed', async () => {
    const jobs = new InMemoryJobStore([stranded, running]);
    const now = () => (CREATED + DISPATCH_DEADLINE_SECONDS) * 1000;
    const handler = createDispatchSweepHandler({ jobs, now }, silent());
    const report = await handler({} as ScheduledEvent);
    expect(report).toEqual({ checked: 2, failed: [stranded.id] });
    expect((await jobs.get('sales', stranded.id))?.status).toBe('failed');
  });
});

describe('createBatchStatusHandler', () => {
  function statusHandler(jobs: InMemoryJobStore) {
    const dispatcher = { submit: vi.fn(), cancel: vi.fn() };
    return createBatchStatusHandler({ jobs, models: new InMemoryModelStore(), dispatcher }, silent());
  }

  it('Given a Batch job that carries no Attune job, then ignored and nothing is written', async () => {
    const jobs = new InMemoryJobStore([jobRecord()]);
    const event = batchEvent({ status: 'RUNNING', tags: {} });
    expect(await statusHandler(jobs)(event)).toBe('ignored');
    expect(jobs.writes).toEqual([]);
  });

  it('Given an Attune job that moves to running, then applied', async () => {
    const jobs = new InMemoryJobStore([jobRecord({ status: 'queued' })]);
    expect(await statusHandler(jobs)(batchEvent({ status: 'RUNNING' }))).toBe('applied');
  });

  it('Given an Attune job that is not stored, then unknown_job', async () => {
    const jobs = new InMemoryJobStore();
    expect(await statusHandler(jobs)(batchEvent({ status: 'RUNNING' }))).toBe('unknown_job');
  });
});

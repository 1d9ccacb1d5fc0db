import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Context, S3Event } from 'aws-lambda';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FileRepository } from '#aws/file-repository.ts';
import { ObjectStore } from '#aws/object-store.ts';
import { fileObjectKey } from '#core/files.ts';
import { newId } from '#core/ids.ts';
import { type DatasetTokenizer, loadDatasetTokenizer } from '#events/dataset-tokenizer.ts';
import { type IngestDependencies, type IngestLogger, ingestObject } from '#events/ingest-object.ts';
import { createdObjects } from '#events/s3-event.ts';
import { encodeS3EventKey } from '#local/s3-local.ts';
import { loadTokenizer } from '#model/tokenizer.ts';
import { testClients, testConfig } from '#tests/test-clients.ts';

/**
 * Ingestion against the DynamoDB Local and s3rver that tests/global-setup.ts started: real conditional
 * writes, real object streams. Every test uses its own team and removes what it wrote.
 */
const config = testConfig();
const clients = testClients();
const files = new FileRepository(clients.dynamo, config.tableName);
const objects = new ObjectStore(clients.s3, config.bucketName);
const written: Array<{ team: string; fileId: string }> = [];
let tokenizer: DatasetTokenizer;
/** The built-in model's tokenizer itself, to check the counts against. */
const builtIn = loadTokenizer(
  readFileSync(new URL('../../models/attune-tiny/tokenizer.json', import.meta.url), 'utf8'),
);

interface LogLine {
  level: string;
  message: string;
  extra: Record<string, unknown>;
}

function recordingLogger(): IngestLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: string) =>
    (message: string, ...extra: Array<Record<string, unknown>>) =>
      lines.push({ level, message, extra: Object.assign({}, ...extra) });
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

function deps(
  logger = recordingLogger(),
): IngestDependencies & { logger: ReturnType<typeof recordingLogger> } {
  return { files, objects, tokenizer, logger };
}

const chatLine = (user: string, assistant: string) =>
  JSON.stringify({
    messages: [
      { role: 'user', content: user },
      { role: 'assistant', content: assistant },
    ],
  });

/** An S3 notification for `key` as S3 sends it: URL-encoded key, eTag and sequencer, no version id. */
function s3Event(key: string, eTag = randomUUID(), sequencer = Date.now().toString(16)): S3Event {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: config.region,
        eventTime: new Date().toISOString(),
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'local' },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { 'x-amz-request-id': 'r', 'x-amz-id-2': 'i' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'ingest',
          bucket: { name: config.bucketName, ownerIdentity: { principalId: 'local' }, arn: 'arn' },
          object: { key: encodeS3EventKey(key), size: 0, eTag, sequencer },
        },
      },
    ],
  };
}

/** A team's `uploaded` file record, and (unless `upload` is false) its object with `content`. */
async function uploadedFile(content: string, upload = true) {
  const team = `t-${randomUUID().slice(0, 12)}`;
  const fileId = newId('file');
  const objectKey = fileObjectKey(team, fileId);
  await files.create({
    team,
    id: fileId,
    filename: 'train.jsonl',
    purpose: 'fine-tune',
    bytes: Buffer.byteLength(content),
    createdAt: Math.floor(Date.now() / 1000),
    status: 'uploaded',
    statusDetails: null,
    objectKey,
  });
  written.push({ team, fileId });
  if (upload) await objects.put(objectKey, content);
  const event = s3Event(objectKey);
  const [object] = createdObjects(event);
  if (!object) throw new Error('no object in the event');
  return { team, fileId, objectKey, event, object };
}

beforeAll(() => {
  tokenizer = loadDatasetTokenizer();
});

afterEach(async () => {
  for (const { team, fileId } of written.splice(0)) {
    await files.delete(team, fileId);
    await objects.delete(fileObjectKey(team, fileId));
  }
});

describe('ingestObject against DynamoDB Local and s3rver', () => {
  it('given a valid chat file, when its object is ingested, then the record is processed with its stats', async () => {
    const lines = [chatLine('Hello there', 'General Kenobi!'), chatLine('Hi', 'Ok.'), chatLine('Hi', 'Ok.')];
    const { team, fileId, object } = await uploadedFile(`${lines.join('\n')}\n`);

    const result = await ingestObject(deps(), object);

    // The trainer's view: '<|user|>\n{user}\n<|assistant|>\n' then the answer, each encoded, then end of text.
    const tokens = (user: string, assistant: string) =>
      builtIn.encodeOrdinary(`<|user|>\n${user}\n<|assistant|>\n`).length +
      builtIn.encodeOrdinary(assistant).length +
      1;
    const counts = [tokens('Hello there', 'General Kenobi!'), tokens('Hi', 'Ok.')];
    const record = await files.get(team, fileId);
    expect(result.outcome).toBe('processed');
    expect(record?.status).toBe('processed');
    expect(record?.statusDetails).toBeNull();
    expect(record?.report).toEqual({
      format: 'chat',
      examples: 3,
      tokens: {
        min: Math.min(...counts),
        max: Math.max(...counts),
        mean: Math.round((((counts[0] as number) + 2 * (counts[1] as number)) * 100) / 3) / 100,
        p95: Math.max(...counts),
        total: (counts[0] as number) + 2 * (counts[1] as number),
      },
      duplicates: 1,
      errors: [],
      tokenizer: 'attune-tiny',
    });
  });

  it('given a file with bad lines, when ingested, then the record is error with line numbers and codes', async () => {
    const content = `${chatLine('a', 'b')}\n{"messages": [{"role": "user", "content": "x"}]}\nnot json\n`;
    const { team, fileId, object } = await uploadedFile(content);

    const result = await ingestObject(deps(), object);

    const record = await files.get(team, fileId);
    expect(result.outcome).toBe('error');
    expect(record?.status).toBe('error');
    expect(record?.statusDetails).toContain(
      '2 of 3 lines are invalid; first at line 2 (example_missing_assistant_message)',
    );
    expect(record?.report?.errors.map((e) => [e.line, e.code])).toEqual([
      [2, 'example_missing_assistant_message'],
      [3, 'invalid_json'],
    ]);
    expect(record?.report?.tokens).toBeNull();
  });

  it('given the same event delivered twice, when ingested, then the second delivery does nothing', async () => {
    const { team, fileId, object } = await uploadedFile(`${chatLine('a', 'b')}\n`);
    const first = await ingestObject(deps(), object);
    const afterFirst = await files.get(team, fileId);

    const second = deps();
    const result = await ingestObject(second, object);

    expect(first.outcome).toBe('processed');
    expect(result.outcome).toBe('skipped');
    expect(await files.get(team, fileId)).toEqual(afterFirst);
    expect(second.logger.lines.map((l) => l.message)).toEqual([
      'Skipped: no file record, already ingested, or being ingested',
    ]);
  });

  it('given two deliveries at once, when ingested concurrently, then exactly one processes', async () => {
    const { object } = await uploadedFile(`${chatLine('a', 'b')}\n`);
    const results = await Promise.all([ingestObject(deps(), object), ingestObject(deps(), object)]);
    expect(results.map((r) => r.outcome).sort()).toEqual(['processed', 'skipped']);
  });

  it('given a key outside a team prefix, when ingested, then it is ignored without any AWS call', async () => {
    const untouchable = new Proxy({} as FileRepository & ObjectStore, {
      get: () => {
        throw new Error('no AWS call expected');
      },
    });
    const logger = recordingLogger();
    const [object] = createdObjects(s3Event('uploads/some file.jsonl'));
    if (!object) throw new Error('no object');

    const result = await ingestObject(
      { files: untouchable, objects: untouchable, tokenizer, logger },
      object,
    );

    expect(result).toEqual({ outcome: 'ignored' });
    expect(logger.lines).toEqual([
      {
        level: 'info',
        message: 'Ignored an object outside every team file prefix',
        extra: { key: 'uploads/some file.jsonl' },
      },
    ]);
  });

  it('given an object whose file record does not exist, when ingested, then nothing is written', async () => {
    const team = `t-${randomUUID().slice(0, 12)}`;
    const fileId = newId('file');
    const key = fileObjectKey(team, fileId);
    await objects.put(key, `${chatLine('a', 'b')}\n`);
    written.push({ team, fileId });
    const [object] = createdObjects(s3Event(key));
    if (!object) throw new Error('no object');

    const result = await ingestObject(deps(), object);

    expect(result).toEqual({ outcome: 'skipped' });
    expect(await files.get(team, fileId)).toBeUndefined();
  });

  it('given the object cannot be read, when ingested, then the error propagates and the claim is released', async () => {
    const { team, fileId, objectKey, object } = await uploadedFile(`${chatLine('a', 'b')}\n`, false);

    await expect(ingestObject(deps(), object)).rejects.toThrow();
    expect((await files.get(team, fileId))?.status).toBe('uploaded');

    await objects.put(objectKey, `${chatLine('a', 'b')}\n`);
    const retry = await ingestObject(deps(), object);
    expect(retry.outcome).toBe('processed');
  });
});

describe('ingestObject when the record changes or the store fails', () => {
  it('given the file is deleted while it is read, when ingestion completes, then nothing is recorded', async () => {
    const { team, fileId, object } = await uploadedFile(`${chatLine('a', 'b')}\n`);
    const deletingFirst = Object.create(files) as FileRepository;
    deletingFirst.completeIngestion = async (...args) => {
      await files.delete(team, fileId);
      return files.completeIngestion(...args);
    };
    const logger = recordingLogger();

    const result = await ingestObject({ files: deletingFirst, objects, tokenizer, logger }, object);

    expect(result.outcome).toBe('superseded');
    expect(await files.get(team, fileId)).toBeUndefined();
    expect(logger.lines.at(-1)?.level).toBe('warn');
  });

  it('given the object is missing and the claim cannot be released, when ingested, then the read error propagates', async () => {
    const { object } = await uploadedFile(`${chatLine('a', 'b')}\n`, false);
    const releaseFails = Object.create(files) as FileRepository;
    releaseFails.releaseIngestion = async () => {
      throw new Error('DynamoDB unreachable');
    };
    const logger = recordingLogger();

    await expect(ingestObject({ files: releaseFails, objects, tokenizer, logger }, object)).rejects.toThrow(
      /NoSuchKey|does not exist|not found/i,
    );
    expect(logger.lines.map((l) => [l.level, l.message])).toContainEqual([
      'error',
      'Could not release the ingestion claim',
    ]);
  });
});

describe('ingestObject with a deadline', () => {
  it('given the deadline has passed, when ingested, then the file is error with validation_timeout, not left uploaded', async () => {
    const { team, fileId, object } = await uploadedFile(`${chatLine('a', 'b')}\n`);

    const result = await ingestObject(deps(), object, { deadline: Date.now() - 1 });

    const record = await files.get(team, fileId);
    expect(result.outcome).toBe('error');
    expect(record?.status).toBe('error');
    expect(record?.report?.errors.map((e) => [e.line, e.code])).toEqual([[1, 'validation_timeout']]);
  });
});

describe('the ingestion Lambda handler', () => {
  // The handler's module-scope Logger reads its level when the module loads; tests keep the output quiet.
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

  it('given a real S3 event for an uploaded file, when the handler runs, then the file is processed', async () => {
    const { handler } = await import('#events/ingest.ts');
    const { team, fileId, event } = await uploadedFile(`{"prompt": "2+2=", "completion": " 4"}\n`);

    const results = await handler(event);

    expect(results.map((r) => r.outcome)).toEqual(['processed']);
    const record = await files.get(team, fileId);
    expect(record?.status).toBe('processed');
    expect(record?.report?.format).toBe('prompt_completion');
  });

  it('given a Lambda context with no time left, when the handler runs, then the file is rejected as timed out', async () => {
    const { handler } = await import('#events/ingest.ts');
    const { team, fileId, event } = await uploadedFile(`${chatLine('a', 'b')}\n`);
    const context = { getRemainingTimeInMillis: () => 0 } as unknown as Context;

    await handler(event, context);

    const record = await files.get(team, fileId);
    expect(record?.status).toBe('error');
    expect(record?.report?.errors[0]?.code).toBe('validation_timeout');
  });

  it('given a Lambda context with minutes left, when the handler runs, then the file is processed', async () => {
    const { handler } = await import('#events/ingest.ts');
    const { team, fileId, event } = await uploadedFile(`${chatLine('a', 'b')}\n`);
    const context = { getRemainingTimeInMillis: () => 600_000 } as unknown as Context;

    await handler(event, context);

    expect((await files.get(team, fileId))?.status).toBe('processed');
  });

  it('given an event for another bucket, when the handler runs, then it is ignored', async () => {
    const { handler } = await import('#events/ingest.ts');
    const event = s3Event(fileObjectKey('t-other', newId('file')));
    const first = event.Records[0];
    if (first) first.s3.bucket.name = 'someone-elses-bucket';

    expect(await handler(event)).toEqual([{ outcome: 'ignored' }]);
  });
});

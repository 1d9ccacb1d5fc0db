import { text } from 'node:stream/consumers';
import { describe, expect, it, vi } from 'vitest';
import { NotFoundError, ValidationError } from '#core/errors.ts';
import {
  attachment,
  CONTENT_URL_TTL_SECONDS,
  createPresignedUpload,
  deleteFile,
  type FileServiceDeps,
  fileContent,
  getFile,
  listFiles,
  MAX_INLINE_CONTENT_BYTES,
  uploadFile,
} from '#core/files/file-service.ts';
import { ObjectNotFoundError } from '#core/files/ports.ts';
import { type FileRecord, fileObjectKey } from '#core/files.ts';
import { toListPage } from '#core/pagination.ts';
import { InMemoryFileStore, InMemoryObjectStorage } from '#tests/unit/files/in-memory-files.ts';

const TEAM = 'sales';
/** 1_795_900_000 in Unix seconds, with milliseconds that must be dropped. */
const NOW_MS = 1_795_900_000_999;
const NOW_S = 1_795_900_000;

function service(records: readonly FileRecord[] = []) {
  const journal: string[] = [];
  const files = new InMemoryFileStore(journal, records);
  const objects = new InMemoryObjectStorage(journal);
  const onCleanupError = vi.fn();
  const deps: FileServiceDeps = { files, objects, now: () => NOW_MS, onCleanupError };
  return { deps, files, objects, journal, onCleanupError };
}

function fileRecord(id: string, overrides: Partial<FileRecord> = {}): FileRecord {
  return {
    team: TEAM,
    id,
    filename: 'train.jsonl',
    purpose: 'fine-tune',
    bytes: 5,
    createdAt: 1_795_800_000,
    status: 'processed',
    statusDetails: null,
    objectKey: fileObjectKey(TEAM, id),
    ...overrides,
  };
}

const upload = { filename: 'train.jsonl', purpose: 'fine-tune', content: new TextEncoder().encode('{}\n') };

describe('uploadFile', () => {
  it('Given an upload, then its record is created before its object is written', async () => {
    const { deps, journal } = service();
    const record = await uploadFile(deps, TEAM, upload);
    expect(journal).toEqual([`files.create ${record.id}`, `objects.put ${record.objectKey}`]);
  });

  it('Given an upload, then the record is uploaded, sized from the content and dated by the clock', async () => {
    const { deps, files, objects } = service();
    const record = await uploadFile(deps, TEAM, upload);
    expect(record).toMatchObject({
      team: TEAM,
      filename: 'train.jsonl',
      purpose: 'fine-tune',
      bytes: 3,
      createdAt: NOW_S,
      status: 'uploaded',
      statusDetails: null,
      objectKey: fileObjectKey(TEAM, record.id),
    });
    expect(await files.get(TEAM, record.id)).toEqual(record);
    expect(objects.objects.get(record.objectKey)).toEqual(upload.content);
  });

  it('Given the object write fails, then the record is deleted again and the write error is thrown', async () => {
    const { deps, files, objects, onCleanupError } = service();
    const failure = new Error('S3 unavailable');
    vi.spyOn(objects, 'put').mockRejectedValue(failure);
    await expect(uploadFile(deps, TEAM, upload)).rejects.toBe(failure);
    expect(files.records.size).toBe(0);
    expect(onCleanupError).not.toHaveBeenCalled();
  });

  it('Given the cleanup fails too, then onCleanupError is told and the write error is still thrown', async () => {
    const { deps, files, objects, onCleanupError, journal } = service();
    const failure = new Error('S3 unavailable');
    const cleanup = new Error('DynamoDB unavailable');
    vi.spyOn(objects, 'put').mockRejectedValue(failure);
    vi.spyOn(files, 'delete').mockRejectedValue(cleanup);
    await expect(uploadFile(deps, TEAM, upload)).rejects.toBe(failure);
    const created = journal[0]?.replace('files.create ', '');
    expect(onCleanupError).toHaveBeenCalledExactlyOnceWith(cleanup, created);
  });

  it('Given the record cannot be created, then no object is written', async () => {
    const { deps, files, journal } = service();
    const failure = new Error('DynamoDB unavailable');
    vi.spyOn(files, 'create').mockRejectedValue(failure);
    await expect(uploadFile(deps, TEAM, upload)).rejects.toBe(failure);
    expect(journal).toEqual([]);
  });
});

describe('createPresignedUpload', () => {
  const large = { filename: 'big.jsonl', purpose: 'fine-tune', bytes: 1_000_000 };

  it('Given a file name with a path separator, then 400 naming filename and nothing is written', async () => {
    const { deps, journal } = service();
    const failed = createPresignedUpload(deps, TEAM, { ...large, filename: 'a/b.jsonl' }, 60);
    await expect(failed).rejects.toBeInstanceOf(ValidationError);
    await expect(failed).rejects.toMatchObject({
      statusCode: 400,
      param: 'filename',
      code: 'invalid_file_name',
    });
    expect(journal).toEqual([]);
  });

  it('Given presigning fails, then no record is written and the error is thrown', async () => {
    const { deps, files, objects } = service();
    const failure = new Error('no credentials');
    vi.spyOn(objects, 'presignPut').mockRejectedValue(failure);
    await expect(createPresignedUpload(deps, TEAM, large, 60)).rejects.toBe(failure);
    expect(files.records.size).toBe(0);
  });

  it('Given a valid upload, then its record is created in uploaded with the declared size', async () => {
    const { deps, files } = service();
    const { record } = await createPresignedUpload(deps, TEAM, large, 60);
    expect(await files.get(TEAM, record.id)).toEqual(record);
    expect(record).toMatchObject({ filename: 'big.jsonl', bytes: 1_000_000, status: 'uploaded' });
  });

  it('Given a valid upload, then the URL signs a PUT of exactly the declared bytes for the TTL', async () => {
    const { deps } = service();
    const { record, uploadUrl } = await createPresignedUpload(deps, TEAM, large, 60);
    expect(uploadUrl).toBe(`https://bucket.test/${record.objectKey}?method=PUT&expires=60&bytes=1000000`);
  });

  it('Given the injected clock and a TTL, then it expires TTL seconds after it was created', async () => {
    const { deps } = service();
    const { record, expiresAt } = await createPresignedUpload(deps, TEAM, large, 3600);
    expect(record.createdAt).toBe(NOW_S);
    expect(expiresAt).toBe(NOW_S + 3600);
  });
});

describe('listFiles', () => {
  /** Ten files, newest (file-10) first; the even ones are fine-tune files, the odd ones batch files. */
  const ten = Array.from({ length: 10 }, (_, i) => {
    const n = String(i + 1).padStart(2, '0');
    return fileRecord(`file-${n}`, { purpose: (i + 1) % 2 === 0 ? 'fine-tune' : 'batch' });
  });

  it('Given no purpose, then it returns the store page as is, from one read', async () => {
    const { deps, files } = service(ten);
    const records = await listFiles(deps, TEAM, { limit: 3 }, undefined);
    expect(records.map((r) => r.id)).toEqual(['file-10', 'file-09', 'file-08', 'file-07']);
    expect(files.listCalls).toEqual([undefined]);
  });

  it('Given a purpose, then it reads further pages until it has limit + 1 matches', async () => {
    const { deps, files } = service(ten);
    const records = await listFiles(deps, TEAM, { limit: 3 }, 'fine-tune');
    expect(records.map((r) => r.id)).toEqual(['file-10', 'file-08', 'file-06', 'file-04']);
    expect(files.listCalls).toEqual([undefined, 'file-07']);
    expect(toListPage(records, 3).has_more).toBe(true);
  });

  it('Given a purpose with exactly limit matches in all, then has_more is false', async () => {
    const { deps } = service(ten);
    const records = await listFiles(deps, TEAM, { limit: 5 }, 'fine-tune');
    expect(records).toHaveLength(5);
    expect(toListPage(records, 5).has_more).toBe(false);
  });

  it('Given a purpose and an after cursor, then matching starts after it', async () => {
    const { deps, files } = service(ten);
    const records = await listFiles(deps, TEAM, { limit: 10, after: 'file-06' }, 'fine-tune');
    expect(records.map((r) => r.id)).toEqual(['file-04', 'file-02']);
    expect(files.listCalls[0]).toBe('file-06');
  });

  it('Given a purpose nothing has, then an empty page and has_more false', async () => {
    const { deps } = service(ten);
    const records = await listFiles(deps, TEAM, { limit: 2 }, 'assistants');
    expect(toListPage(records, 2)).toMatchObject({ data: [], has_more: false });
  });
});

describe('getFile', () => {
  it("Given the team's file, then its record", async () => {
    const { deps } = service([fileRecord('file-01')]);
    expect((await getFile(deps, TEAM, 'file-01')).id).toBe('file-01');
  });

  it('Given an id with no record, then 404 in OpenAI wording naming id', async () => {
    const { deps } = service();
    const failed = getFile(deps, TEAM, 'file-01');
    await expect(failed).rejects.toBeInstanceOf(NotFoundError);
    await expect(failed).rejects.toMatchObject({ message: 'No such File object: file-01', param: 'id' });
  });

  it("Given another team's file, then the same 404", async () => {
    const { deps } = service([fileRecord('file-01', { team: 'support' })]);
    await expect(getFile(deps, TEAM, 'file-01')).rejects.toMatchObject({
      statusCode: 404,
      message: 'No such File object: file-01',
    });
  });
});

describe('fileContent', () => {
  function withContent(bytes: Uint8Array, filename = 'train.jsonl') {
    const record = fileRecord('file-01', { bytes: bytes.byteLength, filename });
    const s = service([record]);
    s.objects.objects.set(record.objectKey, bytes);
    return { ...s, record };
  }

  it('Given content under the inline limit, then its bytes inline with its size and name', async () => {
    const { deps } = withContent(new TextEncoder().encode('{"a":1}\n'));
    const content = await fileContent(deps, TEAM, 'file-01');
    if (content.kind !== 'inline') throw new Error(`expected inline, got ${content.kind}`);
    expect(content).toMatchObject({ bytes: 8, filename: 'train.jsonl' });
    expect(await text(content.body)).toBe('{"a":1}\n');
  });

  it('Given content of exactly the inline limit, then it is still inline', async () => {
    const { deps } = withContent(new Uint8Array(MAX_INLINE_CONTENT_BYTES));
    const content = await fileContent(deps, TEAM, 'file-01');
    expect(content.kind).toBe('inline');
    if (content.kind === 'inline') content.body.destroy();
  });

  it('Given content over the inline limit, then a redirect to a presigned GET that downloads it', async () => {
    const { deps, record } = withContent(new Uint8Array(MAX_INLINE_CONTENT_BYTES + 1), 'big data.jsonl');
    const content = await fileContent(deps, TEAM, 'file-01');
    const disposition = encodeURIComponent(attachment('big data.jsonl'));
    expect(content).toEqual({
      kind: 'redirect',
      url: `https://bucket.test/${record.objectKey}?method=GET&expires=${CONTENT_URL_TTL_SECONDS}&disposition=${disposition}`,
    });
  });

  it('Given content over the inline limit, then the stream it opened is destroyed', async () => {
    const { deps, objects } = withContent(new Uint8Array(MAX_INLINE_CONTENT_BYTES + 1));
    await fileContent(deps, TEAM, 'file-01');
    expect(objects.streams).toHaveLength(1);
    expect(objects.streams[0]?.destroyed).toBe(true);
  });

  it('Given a record whose object has not arrived, then 404 saying it has no content yet', async () => {
    const { deps } = service([fileRecord('file-01', { status: 'uploaded' })]);
    const failed = fileContent(deps, TEAM, 'file-01');
    await expect(failed).rejects.toBeInstanceOf(NotFoundError);
    await expect(failed).rejects.toMatchObject({ param: 'id' });
    await expect(failed).rejects.toThrow('has no content yet');
    await expect(failed).rejects.toMatchObject({ cause: expect.any(ObjectNotFoundError) });
  });

  it('Given the bucket fails otherwise, then that error propagates', async () => {
    const { deps, objects } = withContent(new Uint8Array(1));
    const failure = new Error('S3 throttled');
    vi.spyOn(objects, 'stream').mockRejectedValue(failure);
    await expect(fileContent(deps, TEAM, 'file-01')).rejects.toBe(failure);
  });

  it('Given no such file, then 404 and the bucket is not read', async () => {
    const { deps, objects } = service();
    const stream = vi.spyOn(objects, 'stream');
    await expect(fileContent(deps, TEAM, 'file-01')).rejects.toMatchObject({ statusCode: 404 });
    expect(stream).not.toHaveBeenCalled();
  });
});

describe('attachment', () => {
  it('Given a name with spaces, quotes and non-ASCII, then the RFC 6266 UTF-8 form', () => {
    expect(attachment('a "b" é.jsonl')).toBe(`attachment; filename*=UTF-8''a%20%22b%22%20%C3%A9.jsonl`);
  });
});

describe('deleteFile', () => {
  it('Given a file, then its object is deleted before its record', async () => {
    const record = fileRecord('file-01');
    const { deps, journal, files } = service([record]);
    await deleteFile(deps, TEAM, 'file-01');
    expect(journal).toEqual([`objects.delete ${record.objectKey}`, 'files.delete file-01']);
    expect(files.records.size).toBe(0);
  });

  it('Given the object delete fails, then the record stays for a retry', async () => {
    const { deps, objects, files } = service([fileRecord('file-01')]);
    const failure = new Error('S3 unavailable');
    vi.spyOn(objects, 'delete').mockRejectedValue(failure);
    await expect(deleteFile(deps, TEAM, 'file-01')).rejects.toBe(failure);
    expect(files.records.size).toBe(1);
  });

  it('Given no such file, then 404 and nothing is deleted', async () => {
    const { deps, journal } = service();
    await expect(deleteFile(deps, TEAM, 'file-01')).rejects.toMatchObject({ statusCode: 404, param: 'id' });
    expect(journal).toEqual([]);
  });
});

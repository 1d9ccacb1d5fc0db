import { afterEach, describe, expect, it } from 'vitest';
import { ObjectStore } from '#aws/object-store.ts';
import { fileObjectKey, type OpenAIFile } from '#core/files.ts';
import { CHAT_LINE, createHarness, errorOf, uploadForm } from '#tests/integration/http-harness.ts';
import { testClients, testConfig } from '#tests/test-clients.ts';

const MAX = 1024;
const h = createHarness({ limits: { maxUploadBytes: MAX } });
afterEach(() => h.cleanup());

const post = (
  auth: Record<string, string>,
  body: RequestInit['body'],
  headers: Record<string, string> = {},
) => h.app.request('/v1/files', { method: 'POST', headers: { ...auth, ...headers }, body });

/** The multipart bytes and content type FormData produces, to send them in ways FormData would not. */
async function encoded(form: FormData): Promise<{ bytes: Uint8Array; contentType: string }> {
  const request = new Request('http://local/', { method: 'POST', body: form });
  return {
    bytes: new Uint8Array(await request.arrayBuffer()),
    contentType: request.headers.get('content-type') ?? '',
  };
}

async function text(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks).toString('utf8');
}

describe('POST /v1/files', () => {
  it('Given a valid JSONL file, when uploaded, then the file object is returned, recorded and stored under the team prefix', async () => {
    const { team, auth } = await h.team();
    const res = await post(auth, uploadForm(CHAT_LINE.repeat(3), 'train.jsonl'));
    expect(res.status).toBe(200);
    const file = (await res.json()) as OpenAIFile;
    expect(file).toMatchObject({
      object: 'file',
      bytes: CHAT_LINE.length * 3,
      filename: 'train.jsonl',
      purpose: 'fine-tune',
      status: 'uploaded',
      status_details: null,
    });
    expect(file.id).toMatch(/^file-[0-9a-z]{26}$/);
    expect(Math.abs(file.created_at - Date.now() / 1000)).toBeLessThan(60);
    expect(await h.deps.files.get(team, file.id)).toMatchObject({ status: 'uploaded' });
    expect(await h.written(team)).toEqual({ records: 1, objects: [fileObjectKey(team, file.id)] });
    const stored = await h.deps.objects.stream(fileObjectKey(team, file.id));
    expect(await text(stored.body)).toBe(CHAT_LINE.repeat(3));
  });

  it('Given a file of exactly the size limit, when uploaded, then it is accepted', async () => {
    const { auth } = await h.team();
    const res = await post(auth, uploadForm('x'.repeat(MAX)));
    expect(res.status).toBe(200);
  });

  it('Given a file one byte over the limit, when uploaded, then 413 and nothing is written', async () => {
    const { team, auth } = await h.team();
    const res = await post(auth, uploadForm('x'.repeat(MAX + 1)));
    expect(res.status).toBe(413);
    const error = await errorOf(res);
    expect(error).toMatchObject({ code: 'payload_too_large', param: 'file' });
    expect(error.message).toContain('/v1/uploads');
    expect(await h.written(team)).toEqual({ records: 0, objects: [] });
  });

  it('Given a Content-Length past the limit, when uploaded, then 413 before the body is read', async () => {
    const { team, auth } = await h.team();
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(64));
      },
    });
    const res = await h.app.request('/v1/files', {
      method: 'POST',
      headers: {
        ...auth,
        'content-type': 'multipart/form-data; boundary=b',
        'content-length': String(10 * 1024 * 1024),
      },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(pulled).toBeLessThanOrEqual(1);
    expect(await h.written(team)).toEqual({ records: 0, objects: [] });
  });

  it('Given a chunked body with no Content-Length that grows past the limit, when uploaded, then 413 and nothing is written', async () => {
    const { team, auth } = await h.team();
    const { bytes, contentType } = await encoded(uploadForm('y'.repeat(MAX * 40)));
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 4096) controller.enqueue(bytes.slice(i, i + 4096));
        controller.close();
      },
    });
    const res = await h.app.request('/v1/files', {
      method: 'POST',
      headers: { ...auth, 'content-type': contentType },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(await h.written(team)).toEqual({ records: 0, objects: [] });
  });

  it.each(['assistants', 'batch', ''])(
    "Given purpose '%s', when uploaded, then 400 naming purpose and nothing is written",
    async (purpose) => {
      const { team, auth } = await h.team();
      const res = await post(auth, uploadForm(CHAT_LINE, 'train.jsonl', purpose));
      expect(res.status).toBe(400);
      expect(await errorOf(res)).toMatchObject({ param: 'purpose', type: 'invalid_request_error' });
      expect(await h.written(team)).toEqual({ records: 0, objects: [] });
    },
  );

  it('Given no purpose field, when uploaded, then 400 naming purpose', async () => {
    const { auth } = await h.team();
    const form = new FormData();
    form.append('file', new File([CHAT_LINE], 'train.jsonl'));
    const res = await post(auth, form);
    expect(res.status).toBe(400);
    expect((await errorOf(res)).param).toBe('purpose');
  });

  it.each(['../../etc/passwd', '..\\..\\evil.jsonl', 'dir/train.jsonl', 'a\u0000b.jsonl'])(
    "Given the file name '%s', when uploaded, then 400 invalid_file_name and nothing is written",
    async (filename) => {
      const { team, auth } = await h.team();
      const res = await post(auth, uploadForm(CHAT_LINE, filename));
      expect(res.status).toBe(400);
      expect(await errorOf(res)).toMatchObject({ param: 'file', code: 'invalid_file_name' });
      expect(await h.written(team)).toEqual({ records: 0, objects: [] });
    },
  );

  it('Given an empty file, when uploaded, then 400 empty_file and nothing is written', async () => {
    const { team, auth } = await h.team();
    const res = await post(auth, uploadForm(''));
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ param: 'file', code: 'empty_file' });
    expect(await h.written(team)).toEqual({ records: 0, objects: [] });
  });

  it('Given a form without a file part, when uploaded, then 400 naming file', async () => {
    const { auth } = await h.team();
    const form = new FormData();
    form.append('purpose', 'fine-tune');
    form.append('file', 'not a file part');
    const res = await post(auth, form);
    expect(res.status).toBe(400);
    expect((await errorOf(res)).param).toBe('file');
  });

  it('Given a JSON body instead of multipart, when uploaded, then 400 invalid_content_type', async () => {
    const { auth } = await h.team();
    const res = await post(auth, '{"purpose":"fine-tune"}', { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe('invalid_content_type');
  });

  it('Given a truncated multipart body, when uploaded, then 400 invalid_multipart', async () => {
    const { auth } = await h.team();
    const { bytes, contentType } = await encoded(uploadForm(CHAT_LINE));
    const res = await post(auth, bytes.slice(0, bytes.length - 20), { 'content-type': contentType });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe('invalid_multipart');
  });

  it('Given the object write fails, when uploaded, then 500 and the record written first is removed', async () => {
    const config = testConfig();
    class FailingStore extends ObjectStore {
      override async put(): Promise<void> {
        throw new Error('S3 is down');
      }
    }
    const failing = createHarness({
      objects: new FailingStore(testClients().s3, config.bucketName),
    });
    try {
      const { team, auth } = await failing.team();
      const res = await failing.app.request('/v1/files', {
        method: 'POST',
        headers: auth,
        body: uploadForm(CHAT_LINE),
      });
      expect(res.status).toBe(500);
      expect(await failing.written(team)).toEqual({ records: 0, objects: [] });
    } finally {
      await failing.cleanup();
    }
  });
});

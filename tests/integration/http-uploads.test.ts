import { afterEach, describe, expect, it } from 'vitest';
import { MAX_INLINE_CONTENT_BYTES } from '#core/files/file-service.ts';
import { fileObjectKey, type OpenAIFile } from '#core/files.ts';
import { MAX_PRESIGNED_UPLOAD_BYTES } from '#http/routes/uploads.ts';
import { CHAT_LINE, createHarness, errorOf } from '#tests/integration/http-harness.ts';

const h = createHarness();
afterEach(() => h.cleanup());

interface UploadObject {
  id: string;
  object: 'upload';
  bytes: number;
  created_at: number;
  filename: string;
  purpose: string;
  status: string;
  expires_at: number;
  file: OpenAIFile;
  upload_url: string;
  upload_url_expires_at: number;
}

const content = CHAT_LINE.repeat(20);
const valid = {
  filename: 'big.jsonl',
  purpose: 'fine-tune',
  bytes: content.length,
  mime_type: 'application/jsonl',
};

const create = (auth: { authorization: string }, body: unknown) =>
  h.app.request('/v1/uploads', {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('POST /v1/uploads', () => {
  it('Given a valid request, when an upload is created, then the file is recorded and a presigned URL returned', async () => {
    const { team, auth } = await h.team();
    const res = await create(auth, valid);
    expect(res.status).toBe(200);
    const upload = (await res.json()) as UploadObject;
    expect(upload).toMatchObject({
      object: 'upload',
      status: 'pending',
      bytes: valid.bytes,
      filename: 'big.jsonl',
      purpose: 'fine-tune',
      file: { id: upload.id, object: 'file', status: 'uploaded', bytes: valid.bytes },
    });
    expect(upload.expires_at - upload.created_at).toBe(h.deps.limits.uploadUrlTtlSeconds);
    expect(upload.upload_url_expires_at).toBe(upload.expires_at);
    expect(await h.written(team)).toEqual({ records: 1, objects: [] });
  });

  it('Given an upload URL, when inspected, then it is for exactly the file key, signs Content-Length and carries no empty-body checksum', async () => {
    const { team, auth } = await h.team();
    const upload = (await (await create(auth, valid)).json()) as UploadObject;
    const url = new URL(upload.upload_url);
    expect(decodeURIComponent(url.pathname)).toMatch(new RegExp(`/${fileObjectKey(team, upload.id)}$`));
    expect(url.searchParams.get('X-Amz-SignedHeaders')?.split(';')).toContain('content-length');
    expect(url.searchParams.get('X-Amz-Expires')).toBe(String(h.deps.limits.uploadUrlTtlSeconds));
    expect([...url.searchParams.keys()].filter((k) => /checksum/i.test(k))).toEqual([]);
  });

  it('Given an upload URL, when a plain fetch PUTs the bytes, then the file content is served back', async () => {
    const { auth } = await h.team();
    const upload = (await (await create(auth, valid)).json()) as UploadObject;
    const put = await fetch(upload.upload_url, { method: 'PUT', body: content });
    expect(put.status).toBe(200);
    const res = await h.app.request(`/v1/files/${upload.id}/content`, { headers: auth });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(content);
  });

  it('Given content larger than a Lambda response can carry, when fetched, then a redirect to a presigned GET that serves it', async () => {
    const { auth } = await h.team();
    const big = new Uint8Array(MAX_INLINE_CONTENT_BYTES + 1).fill(0x61);
    const upload = (await (await create(auth, { ...valid, bytes: big.byteLength })).json()) as UploadObject;
    expect((await fetch(upload.upload_url, { method: 'PUT', body: big })).status).toBe(200);
    const res = await h.app.request(`/v1/files/${upload.id}/content`, { headers: auth });
    expect(res.status).toBe(302);
    const location = res.headers.get('location') ?? '';
    expect(new URL(location).searchParams.get('X-Amz-Expires')).toBe('300');
    const download = await fetch(location);
    expect(download.status).toBe(200);
    expect((await download.arrayBuffer()).byteLength).toBe(big.byteLength);
  });

  it('Given an upload whose bytes have not arrived, when its content is fetched, then 404', async () => {
    const { auth } = await h.team();
    const upload = (await (await create(auth, valid)).json()) as UploadObject;
    const res = await h.app.request(`/v1/files/${upload.id}/content`, { headers: auth });
    expect(res.status).toBe(404);
    expect((await errorOf(res)).message).toContain('has no content yet');
  });

  it.each([
    [{ ...valid, filename: '../../etc/passwd' }, 'filename'],
    [{ ...valid, filename: 'a\\b.jsonl' }, 'filename'],
    [{ ...valid, filename: 42 }, 'filename'],
    [{ ...valid, purpose: 'assistants' }, 'purpose'],
    [{ ...valid, bytes: 0 }, 'bytes'],
    [{ ...valid, bytes: 1.5 }, 'bytes'],
    [{ ...valid, bytes: MAX_PRESIGNED_UPLOAD_BYTES + 1 }, 'bytes'],
    [{ ...valid, mime_type: 'not a mime type' }, 'mime_type'],
    [{ ...valid, extra: true }, 'extra'],
    [{ purpose: 'fine-tune', bytes: 10, mime_type: 'application/jsonl' }, 'filename'],
  ])(
    'Given the body %j, when an upload is created, then 400 naming %s and nothing is written',
    async (body, param) => {
      const { team, auth } = await h.team();
      const res = await create(auth, body);
      expect(res.status).toBe(400);
      expect(await errorOf(res)).toMatchObject({ param, type: 'invalid_request_error' });
      expect(await h.written(team)).toEqual({ records: 0, objects: [] });
    },
  );

  it('Given a JSON array body, when an upload is created, then 400 and nothing is written', async () => {
    const { team, auth } = await h.team();
    const res = await create(auth, [valid]);
    expect(res.status).toBe(400);
    expect(await h.written(team)).toEqual({ records: 0, objects: [] });
  });
});

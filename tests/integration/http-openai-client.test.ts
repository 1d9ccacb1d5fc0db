import OpenAI, { toFile } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { CHAT_LINE, createHarness } from '#tests/integration/http-harness.ts';

const h = createHarness();
afterEach(() => h.cleanup());

/** The official client, its requests served in-process by the app (the real-process run is the e2e suite's). */
function client(apiKey: string): OpenAI {
  return new OpenAI({
    apiKey,
    baseURL: 'http://attune.test/v1',
    maxRetries: 0,
    fetch: (url, init) => Promise.resolve(h.app.request(String(url), init as RequestInit)),
  });
}

describe('the official openai client against the files API', () => {
  it('Given a key, when it creates, retrieves, pages through, reads and deletes files, then every call succeeds', async () => {
    const { key } = await h.team();
    const openai = client(key);
    const created = await openai.files.create({
      file: await toFile(Buffer.from(CHAT_LINE.repeat(2)), 'train.jsonl'),
      purpose: 'fine-tune',
    });
    expect(created).toMatchObject({
      object: 'file',
      purpose: 'fine-tune',
      filename: 'train.jsonl',
      status: 'uploaded',
    });
    const second = await openai.files.create({
      file: await toFile(Buffer.from(CHAT_LINE), 'b.jsonl'),
      purpose: 'fine-tune',
    });

    expect((await openai.files.retrieve(created.id)).id).toBe(created.id);

    const seen: string[] = [];
    for await (const file of openai.files.list({ limit: 1 })) seen.push(file.id);
    expect(seen.sort()).toEqual([created.id, second.id].sort());

    expect(await (await openai.files.content(created.id)).text()).toBe(CHAT_LINE.repeat(2));

    expect(await openai.files.delete(created.id)).toEqual({ id: created.id, object: 'file', deleted: true });
    await expect(openai.files.retrieve(created.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('Given a wrong key, when the client lists files, then it raises its AuthenticationError', async () => {
    await expect(client('sk-attune-wrong').files.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('Given a non-fine-tune purpose, when the client uploads, then it raises BadRequestError naming purpose', async () => {
    const { key } = await h.team();
    const error = await client(key)
      .files.create({ file: await toFile(Buffer.from(CHAT_LINE), 'a.jsonl'), purpose: 'assistants' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('purpose');
  });

  it("Given the uploads API, when the client creates an upload, then it gets the upload object with Attune's upload_url", async () => {
    const { key } = await h.team();
    const upload = await client(key).uploads.create({
      bytes: CHAT_LINE.length,
      filename: 'big.jsonl',
      mime_type: 'application/jsonl',
      purpose: 'fine-tune',
    });
    expect(upload).toMatchObject({ object: 'upload', status: 'pending', bytes: CHAT_LINE.length });
    const uploadUrl = (upload as unknown as { upload_url: string }).upload_url;
    expect((await fetch(uploadUrl, { method: 'PUT', body: CHAT_LINE })).status).toBe(200);
  });
});

import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { fileSk, teamPk } from '#aws/table-keys.ts';
import { fileObjectKey, type OpenAIFile } from '#core/files.ts';
import type { ListPage } from '#core/pagination.ts';
import { SERVER_ERROR_MESSAGE } from '#http/error-mapper.ts';
import { CHAT_LINE, createHarness, errorOf, uploadForm } from '#tests/integration/http-harness.ts';
import { testClients, testConfig } from '#tests/test-clients.ts';

const h = createHarness();
afterEach(() => h.cleanup());

type Auth = { authorization: string };

async function upload(auth: Auth, content = CHAT_LINE, filename = 'train.jsonl'): Promise<OpenAIFile> {
  const res = await h.app.request('/v1/files', {
    method: 'POST',
    headers: auth,
    body: uploadForm(content, filename),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as OpenAIFile;
}

const get = (auth: Auth, path: string) => h.app.request(path, { headers: auth });
const del = (auth: Auth, path: string) => h.app.request(path, { method: 'DELETE', headers: auth });

async function page(auth: Auth, query: string): Promise<ListPage<OpenAIFile>> {
  const res = await get(auth, `/v1/files${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as ListPage<OpenAIFile>;
}

describe('GET /v1/files/{id}', () => {
  it("Given the team's file, when retrieved, then its file object is returned", async () => {
    const { auth } = await h.team();
    const file = await upload(auth);
    const res = await get(auth, `/v1/files/${file.id}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(file);
  });

  it("Given another team's file id, when retrieved, then 404 exactly as for an id that does not exist", async () => {
    const owner = await h.team();
    const other = await h.team();
    const file = await upload(owner.auth);
    const missingId = `file-${'0'.repeat(26)}`;
    const theirs = await get(other.auth, `/v1/files/${file.id}`);
    const missing = await get(other.auth, `/v1/files/${missingId}`);
    expect(theirs.status).toBe(404);
    expect(missing.status).toBe(404);
    const theirsError = await errorOf(theirs);
    const missingError = await errorOf(missing);
    expect({ ...theirsError, message: theirsError.message.replace(file.id, 'ID') }).toEqual({
      ...missingError,
      message: missingError.message.replace(missingId, 'ID'),
    });
  });

  it("Given the team's file item is corrupt in the table, when retrieved, then a bare 500 that names nothing", async () => {
    const { team, auth } = await h.team();
    const file = await upload(auth);
    const setStatus = (status: string) =>
      testClients().dynamo.send(
        new UpdateCommand({
          TableName: testConfig().tableName,
          Key: { pk: teamPk(team), sk: fileSk(file.id) },
          UpdateExpression: 'SET #status = :status',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':status': status },
        }),
      );
    await setStatus('lost');
    try {
      const res = await get(auth, `/v1/files/${file.id}`);
      expect(res.status).toBe(500);
      expect(await errorOf(res)).toEqual({
        message: SERVER_ERROR_MESSAGE,
        type: 'server_error',
        param: null,
        code: null,
      });
    } finally {
      await setStatus(file.status);
    }
  });

  it.each(['nope', 'file-..%2F..%2Fsecret', `file-${'A'.repeat(26)}`, `ftjob-${'0'.repeat(26)}`])(
    "Given the malformed id '%s', when retrieved, then 404",
    async (id) => {
      const { auth } = await h.team();
      const res = await get(auth, `/v1/files/${id}`);
      expect(res.status).toBe(404);
      expect((await errorOf(res)).code).toBe('not_found');
    },
  );
});

describe('GET /v1/files/{id}/content', () => {
  it('Given a stored file, when its content is fetched, then the exact bytes stream back as an attachment', async () => {
    const { auth } = await h.team();
    const content = CHAT_LINE.repeat(50);
    const file = await upload(auth, content, 'données d’été.jsonl');
    const res = await get(auth, `/v1/files/${file.id}/content`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename*=UTF-8''${encodeURIComponent('données d’été.jsonl')}`,
    );
    expect(await res.text()).toBe(content);
  });

  it("Given another team's file id, when its content is fetched, then 404", async () => {
    const owner = await h.team();
    const other = await h.team();
    const file = await upload(owner.auth);
    const res = await get(other.auth, `/v1/files/${file.id}/content`);
    expect(res.status).toBe(404);
  });
});

describe('GET /v1/files', () => {
  it('Given five files, when listed two at a time, then the pages cover them all newest first with has_more', async () => {
    const { auth } = await h.team();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await upload(auth)).id);
    const first = await page(auth, '?limit=2');
    const second = await page(auth, `?limit=2&after=${first.last_id}`);
    const third = await page(auth, `?limit=2&after=${second.last_id}`);
    expect([first.has_more, second.has_more, third.has_more]).toEqual([true, true, false]);
    expect([first.data.length, second.data.length, third.data.length]).toEqual([2, 2, 1]);
    const listed = [...first.data, ...second.data, ...third.data].map((f) => f.id);
    expect(listed).toEqual([...ids].sort().reverse());
    expect(first).toMatchObject({ object: 'list', first_id: listed[0], last_id: listed[1] });
  });

  it("Given two teams' files, when one team lists, then it sees only its own", async () => {
    const mine = await h.team();
    const theirs = await h.team();
    const file = await upload(mine.auth);
    await upload(theirs.auth);
    const list = await page(mine.auth, '');
    expect(list.data.map((f) => f.id)).toEqual([file.id]);
  });

  it('Given a purpose filter, when listed, then only files of that purpose are returned', async () => {
    const { auth } = await h.team();
    const file = await upload(auth);
    expect((await page(auth, '?purpose=fine-tune')).data.map((f) => f.id)).toEqual([file.id]);
    expect(await page(auth, '?purpose=assistants')).toMatchObject({ data: [], has_more: false });
  });

  it.each([
    ['?limit=0', 'limit'],
    ['?limit=abc', 'limit'],
    ['?limit=101', 'limit'],
    ['?after=not-an-id', 'after'],
  ])("Given the query '%s', when listed, then 400 naming %s", async (query, param) => {
    const { auth } = await h.team();
    const res = await get(auth, `/v1/files${query}`);
    expect(res.status).toBe(400);
    expect((await errorOf(res)).param).toBe(param);
  });
});

describe('DELETE /v1/files/{id}', () => {
  it("Given a file, when deleted, then OpenAI's deletion object is returned and record and object are gone", async () => {
    const { team, auth } = await h.team();
    const file = await upload(auth);
    const res = await del(auth, `/v1/files/${file.id}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: file.id, object: 'file', deleted: true });
    expect(await h.written(team)).toEqual({ records: 0, objects: [] });
    expect(await h.deps.objects.exists(fileObjectKey(team, file.id))).toBe(false);
  });

  it('Given a deleted file, when retrieved, fetched or deleted again, then 404 each time', async () => {
    const { auth } = await h.team();
    const file = await upload(auth);
    await del(auth, `/v1/files/${file.id}`);
    expect((await get(auth, `/v1/files/${file.id}`)).status).toBe(404);
    expect((await get(auth, `/v1/files/${file.id}/content`)).status).toBe(404);
    expect((await del(auth, `/v1/files/${file.id}`)).status).toBe(404);
  });

  it("Given another team's file id, when deleted, then 404 and the owner's file is untouched", async () => {
    const owner = await h.team();
    const other = await h.team();
    const file = await upload(owner.auth);
    const res = await del(other.auth, `/v1/files/${file.id}`);
    expect(res.status).toBe(404);
    expect(await (await get(owner.auth, `/v1/files/${file.id}/content`)).text()).toBe(CHAT_LINE);
  });
});

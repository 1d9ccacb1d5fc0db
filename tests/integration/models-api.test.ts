import { afterEach, describe, expect, it } from 'vitest';
import type { OpenAIModel } from '#core/jobs/models.ts';
import { errorOf } from '#tests/integration/http-harness.ts';
import { createJobsHarness } from '#tests/integration/jobs-harness.ts';

const h = createJobsHarness();
afterEach(() => h.cleanup());

type Auth = { authorization: string };

async function listIds(auth: Auth): Promise<string[]> {
  const res = await h.get('/v1/models', auth);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { object: string; data: OpenAIModel[] };
  expect(body.object).toBe('list');
  return body.data.map((m) => m.id);
}

const del = (auth: Auth, id: string) =>
  h.app.request(`/v1/models/${id}`, { method: 'DELETE', headers: auth });

describe('GET /v1/models', () => {
  it('Given a new team, then it sees the built-in base model and nothing else', async () => {
    const { auth } = await h.team();
    expect(await listIds(auth)).toEqual(['attune-tiny']);
  });

  it('Given a team with tuned models, then it sees them after the base models, and another team does not', async () => {
    const { team, auth } = await h.team();
    const ft = await h.model(team, 'ft');
    const pt = await h.model(team, 'pt', ft);
    expect((await listIds(auth)).sort()).toEqual(['attune-tiny', ft, pt].sort());
    const other = await h.team();
    expect(await listIds(other.auth)).toEqual(['attune-tiny']);
  });
});

describe('GET /v1/models/{id}', () => {
  it('Given the base model, then its model object, owned by attune', async () => {
    const { auth } = await h.team();
    const res = await h.get('/v1/models/attune-tiny', auth);
    expect(await res.json()).toMatchObject({
      id: 'attune-tiny',
      object: 'model',
      owned_by: 'attune',
      kind: 'base',
    });
  });

  it("Given the team's pt: model over its ft: model, then it says what it attaches to", async () => {
    const { team, auth } = await h.team();
    const ft = await h.model(team, 'ft');
    const pt = await h.model(team, 'pt', ft);
    const res = await h.get(`/v1/models/${pt}`, auth);
    expect(await res.json()).toMatchObject({
      id: pt,
      object: 'model',
      owned_by: team,
      kind: 'tuned_prompt',
      base_model: 'attune-tiny',
      attaches_to: ft,
    });
  });

  it("Given another team's model, then 404 as for one that does not exist", async () => {
    const owner = await h.team();
    const ft = await h.model(owner.team, 'ft');
    const { auth } = await h.team();
    const res = await h.get(`/v1/models/${ft}`, auth);
    expect(res.status).toBe(404);
    expect(await errorOf(res)).toMatchObject({ code: 'model_not_found' });
  });

  it('Given a name that is no model, then 404', async () => {
    const { auth } = await h.team();
    expect((await h.get('/v1/models/gpt-4o', auth)).status).toBe(404);
  });
});

describe('DELETE /v1/models/{id}', () => {
  it("Given the team's model, when deleted, then it is gone from the list and reads 404", async () => {
    const { team, auth } = await h.team();
    const pt = await h.model(team, 'pt');
    const res = await del(auth, pt);
    expect(await res.json()).toEqual({ id: pt, object: 'model', deleted: true });
    expect(await listIds(auth)).toEqual(['attune-tiny']);
    expect((await h.get(`/v1/models/${pt}`, auth)).status).toBe(404);
  });

  it('Given the base model, when deleted, then 403 and it stays', async () => {
    const { auth } = await h.team();
    const res = await del(auth, 'attune-tiny');
    expect(res.status).toBe(403);
    expect(await errorOf(res)).toMatchObject({ code: 'model_not_deletable' });
    expect(await listIds(auth)).toEqual(['attune-tiny']);
  });

  it('Given an ft: model with a prompt attached, when deleted, then 409 naming the prompt', async () => {
    const { team, auth } = await h.team();
    const ft = await h.model(team, 'ft');
    const pt = await h.model(team, 'pt', ft);
    const res = await del(auth, ft);
    expect(res.status).toBe(409);
    expect((await errorOf(res)).message).toContain(pt);
  });

  it("Given another team's model, when deleted, then 404 and the owner keeps it", async () => {
    const owner = await h.team();
    const ft = await h.model(owner.team, 'ft');
    const { auth } = await h.team();
    expect((await del(auth, ft)).status).toBe(404);
    expect(await listIds(owner.auth)).toContain(ft);
  });
});

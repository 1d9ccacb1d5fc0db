import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { AliasObject } from '#core/inference/aliases.ts';
import { errorOf } from '#tests/integration/http-harness.ts';
import { createJobsHarness } from '#tests/integration/jobs-harness.ts';

const h = createJobsHarness();
afterEach(() => h.cleanup());

type Auth = { authorization: string };
type Variants = { model: string; weight: number }[];

const put = (auth: Auth, name: string, body: unknown) =>
  h.app.request(`/v1/aliases/${name}`, {
    method: 'PUT',
    headers: { ...auth, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const del = (auth: Auth, name: string) =>
  h.app.request(`/v1/aliases/${name}`, { method: 'DELETE', headers: auth });

/** A team with one tuned prompt, and an alias `chat` over the base model (9) and that prompt (1). */
async function teamWithAlias() {
  const t = await h.team();
  const pt = await h.model(t.team, 'pt');
  const variants: Variants = [
    { model: 'attune-tiny', weight: 9 },
    { model: pt, weight: 1 },
  ];
  const res = await put(t.auth, 'chat', { variants });
  expect(res.status).toBe(201);
  return { ...t, pt, variants, created: (await res.json()) as AliasObject };
}

async function served(team: string, model: string, alias: string | null = 'chat') {
  const aliasGeneration =
    alias === null ? null : ((await h.deps.aliases.get(team, alias))?.generation ?? null);
  const entry = {
    team,
    id: `cmpl-${randomUUID()}`,
    model,
    alias,
    aliasGeneration,
    createdAt: Math.floor(Date.now() / 1000),
  };
  await h.deps.completions.recordServed(entry);
  return entry;
}

describe('PUT /v1/aliases/{name}', () => {
  it('Given a new name, then 201 with the alias object and zero traffic', async () => {
    const { created, pt } = await teamWithAlias();
    expect(created).toMatchObject({ id: 'chat', object: 'alias', name: 'chat' });
    expect(created.variants).toEqual([
      {
        model: 'attune-tiny',
        weight: 9,
        traffic: { served: 0, share: null },
        feedback: { count: 0, mean: null },
      },
      { model: pt, weight: 1, traffic: { served: 0, share: null }, feedback: { count: 0, mean: null } },
    ]);
    expect(created.created_at).toBe(created.updated_at);
  });

  it('Given an existing alias with traffic, when the weights are replaced, then 200 and the remaining variant keeps its traffic', async () => {
    const { auth, team, pt, created } = await teamWithAlias();
    await Promise.all([served(team, 'attune-tiny'), served(team, pt), served(team, pt)]);
    const res = await put(auth, 'chat', {
      variants: [
        { model: pt, weight: 0 },
        { model: 'attune-tiny', weight: 1 },
      ],
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as AliasObject;
    expect(body.created_at).toBe(created.created_at);
    expect(body.variants.map((v) => [v.model, v.weight, v.traffic.served])).toEqual([
      [pt, 0, 2],
      ['attune-tiny', 1, 1],
    ]);
  });

  it('Given weights that are all zero, then 400 saying they must sum to a positive number', async () => {
    const { auth } = await h.team();
    const res = await put(auth, 'chat', { variants: [{ model: 'attune-tiny', weight: 0 }] });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ param: 'variants', code: 'invalid_variants' });
  });

  it('Given a negative weight, then 400 naming that variant weight', async () => {
    const { team, auth } = await h.team();
    const pt = await h.model(team, 'pt');
    const res = await put(auth, 'chat', {
      variants: [
        { model: 'attune-tiny', weight: 1 },
        { model: pt, weight: -1 },
      ],
    });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).param).toBe('variants.1.weight');
  });

  it("Given a variant naming another team's model, then 404 naming that variant and nothing is written", async () => {
    const owner = await h.team();
    const theirs = await h.model(owner.team, 'ft');
    const { auth } = await h.team();
    const res = await put(auth, 'chat', { variants: [{ model: theirs, weight: 1 }] });
    expect(res.status).toBe(404);
    const error = await errorOf(res);
    expect(error).toMatchObject({ param: 'variants.0.model', code: 'model_not_found' });
    expect(error.message).toContain('does not exist or you do not have access to it');
    expect((await h.get('/v1/aliases/chat', auth)).status).toBe(404);
  });

  it('Given a variant naming an alias, then 400: aliases do not nest', async () => {
    const { auth } = await teamWithAlias();
    const res = await put(auth, 'outer', { variants: [{ model: 'chat', weight: 1 }] });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toContain('cannot name another alias');
  });

  it.each([
    ['pt:mine', "cannot contain ':'"],
    ['attune-tiny', 'base model'],
  ])('Given the name %s, then 400 on name', async (name, says) => {
    const { auth } = await h.team();
    const res = await put(auth, name, { variants: [{ model: 'attune-tiny', weight: 1 }] });
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.param).toBe('name');
    expect(error.message).toContain(says);
  });

  it.each([
    ['no variants field', {}, 'variants'],
    [
      'a weight that is a string',
      { variants: [{ model: 'attune-tiny', weight: 'half' }] },
      'variants.0.weight',
    ],
    ['an unknown field', { variants: [{ model: 'attune-tiny', weight: 1 }], sticky: true }, 'sticky'],
  ])('Given a body with %s, then 400 naming the field', async (_, body, param) => {
    const { auth } = await h.team();
    const res = await put(auth, 'chat', body);
    expect(res.status).toBe(400);
    expect((await errorOf(res)).param).toBe(param);
  });

  it('Given a body that is not JSON, then 400 invalid_json', async () => {
    const { auth } = await h.team();
    const res = await put(auth, 'chat', '{"variants": [');
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe('invalid_json');
  });

  it('Given no API key, then 401', async () => {
    const res = await h.app.request('/v1/aliases/chat', { method: 'PUT', body: '{}' });
    expect(res.status).toBe(401);
  });
});

describe('GET /v1/aliases[/{name}]', () => {
  it('Given served traffic and feedback, then each variant shows its served count, share and mean score', async () => {
    const { auth, team, pt } = await teamWithAlias();
    const entries = await Promise.all([
      served(team, 'attune-tiny'),
      served(team, 'attune-tiny'),
      served(team, 'attune-tiny'),
      served(team, pt),
    ]);
    for (const [i, score] of [1, 0].entries()) {
      const res = await h.post('/v1/feedback', auth, { completion_id: entries[i]?.id, score });
      expect(res.status).toBe(200);
    }
    const body = (await (await h.get('/v1/aliases/chat', auth)).json()) as AliasObject;
    expect(body.variants.map((v) => ({ traffic: v.traffic, feedback: v.feedback }))).toEqual([
      { traffic: { served: 3, share: 0.75 }, feedback: { count: 2, mean: 0.5 } },
      { traffic: { served: 1, share: 0.25 }, feedback: { count: 0, mean: null } },
    ]);
  });

  it("Given another team's alias, then 404 as for one that does not exist", async () => {
    await teamWithAlias();
    const { auth } = await h.team();
    const res = await h.get('/v1/aliases/chat', auth);
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe('alias_not_found');
  });

  it("Given two teams' aliases, when one lists, then it sees only its own", async () => {
    const { auth } = await teamWithAlias();
    await teamWithAlias();
    const res = await h.get('/v1/aliases', auth);
    const body = (await res.json()) as { object: string; data: AliasObject[] };
    expect(body.object).toBe('list');
    expect(body.data.map((a) => a.name)).toEqual(['chat']);
  });
});

describe('DELETE /v1/aliases/{name}', () => {
  it("Given the team's alias, when deleted, then it reads 404 afterwards", async () => {
    const { auth } = await teamWithAlias();
    const res = await del(auth, 'chat');
    expect(await res.json()).toEqual({ id: 'chat', object: 'alias', deleted: true });
    expect((await h.get('/v1/aliases/chat', auth)).status).toBe(404);
  });

  it("Given another team's alias, when deleted, then 404 and the owner keeps it", async () => {
    const owner = await teamWithAlias();
    const { auth } = await h.team();
    expect((await del(auth, 'chat')).status).toBe(404);
    expect((await h.get('/v1/aliases/chat', owner.auth)).status).toBe(200);
  });
});

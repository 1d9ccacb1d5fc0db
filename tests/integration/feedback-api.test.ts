import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { AliasObject } from '#core/inference/aliases.ts';
import { MAX_FEEDBACK_COMMENT_CHARS } from '#core/inference/feedback.ts';
import { createHarness, errorOf } from '#tests/integration/http-harness.ts';

const h = createHarness();
afterEach(() => h.cleanup());

type Auth = { authorization: string };

const feedback = (auth: Auth, body: unknown) =>
  h.app.request('/v1/feedback', {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

/** A completion served to `team`, recorded as the completion handler records it. */
async function served(team: string, alias: string | null = null, model = 'attune-tiny') {
  const aliasGeneration =
    alias === null ? null : ((await h.deps.aliases.get(team, alias))?.generation ?? null);
  const entry = {
    team,
    id: `chatcmpl-${randomUUID()}`,
    model,
    alias,
    aliasGeneration,
    createdAt: Math.floor(Date.now() / 1000),
  };
  await h.deps.completions.recordServed(entry);
  return entry.id;
}

describe('POST /v1/feedback', () => {
  it('Given a completion served directly, then 200 with the feedback object naming the model and no alias', async () => {
    const { team, auth } = await h.team();
    const id = await served(team);
    const res = await feedback(auth, { completion_id: id, score: -0.5, comment: 'rambles' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      object: 'feedback',
      completion_id: id,
      score: -0.5,
      comment: 'rambles',
      model: 'attune-tiny',
      alias: null,
      created: expect.any(Number),
    });
  });

  it("Given a completion served through an alias, then the alias's variant counts the score", async () => {
    const { team, auth } = await h.team();
    await h.deps.aliases.put(team, 'chat', [{ model: 'attune-tiny', weight: 1 }], 1);
    const id = await served(team, 'chat');
    const res = await feedback(auth, { completion_id: id, score: 1 });
    expect(await res.json()).toMatchObject({ alias: 'chat', model: 'attune-tiny', comment: null });
    const alias = (await (await h.app.request('/v1/aliases/chat', { headers: auth })).json()) as AliasObject;
    expect(alias.variants[0]?.feedback).toEqual({ count: 1, mean: 1 });
  });

  it('Given a completion that already has feedback, then 409 and the first score stands', async () => {
    const { team, auth } = await h.team();
    await h.deps.aliases.put(team, 'chat', [{ model: 'attune-tiny', weight: 1 }], 1);
    const id = await served(team, 'chat');
    await feedback(auth, { completion_id: id, score: 1 });
    const res = await feedback(auth, { completion_id: id, score: -1 });
    expect(res.status).toBe(409);
    expect((await errorOf(res)).code).toBe('feedback_exists');
    expect((await h.deps.aliases.get(team, 'chat'))?.stats[0]).toMatchObject({
      feedbackCount: 1,
      feedbackSum: 1,
    });
  });

  it('Given an unknown completion id, then 404', async () => {
    const { auth } = await h.team();
    const res = await feedback(auth, { completion_id: 'cmpl-nothing', score: 1 });
    expect(res.status).toBe(404);
    expect(await errorOf(res)).toMatchObject({ param: 'completion_id', code: 'completion_not_found' });
  });

  it("Given another team's completion id, then 404 as for an unknown one", async () => {
    const owner = await h.team();
    const id = await served(owner.team);
    const { auth } = await h.team();
    expect((await feedback(auth, { completion_id: id, score: 1 })).status).toBe(404);
    expect((await feedback(owner.auth, { completion_id: id, score: 1 })).status).toBe(200);
  });

  it.each([1.5, -2])('Given the score %s, then 400 saying scores run from -1 to 1', async (score) => {
    const { team, auth } = await h.team();
    const res = await feedback(auth, { completion_id: await served(team), score });
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.param).toBe('score');
    expect(error.message).toContain('from -1 (bad) to 1 (good)');
  });

  it.each([
    ['a score that is a word', { completion_id: 'cmpl-1', score: 'good' }, 'score'],
    ['no completion id', { score: 1 }, 'completion_id'],
    ['an unknown field', { completion_id: 'cmpl-1', score: 1, rating: 5 }, 'rating'],
    [
      'a comment too long',
      { completion_id: 'cmpl-1', score: 1, comment: 'x'.repeat(MAX_FEEDBACK_COMMENT_CHARS + 1) },
      'comment',
    ],
  ])('Given %s, then 400 naming the field', async (_, body, param) => {
    const { auth } = await h.team();
    const res = await feedback(auth, body);
    expect(res.status).toBe(400);
    expect((await errorOf(res)).param).toBe(param);
  });

  it('Given no API key, then 401', async () => {
    expect((await feedback({ authorization: '' }, { completion_id: 'cmpl-1', score: 1 })).status).toBe(401);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { newId } from '#core/ids.ts';
import { checkpointPrefix, modelArtifactPrefix, type OpenAIModel } from '#core/jobs/models.ts';
import { errorOf } from '#tests/integration/http-harness.ts';
import { createJobsHarness } from '#tests/integration/jobs-harness.ts';
import { jobRecord } from '#tests/unit/jobs/job-fixtures.ts';

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

/** The job id at the end of a tuned model's name (`…:<id without ftjob->`). */
const jobOf = (model: string) => `ftjob-${model.slice(model.lastIndexOf(':') + 1)}`;

/** Puts a trained artifact where the model's job left it, and returns the keys written. */
async function artifactOf(team: string, model: string): Promise<string[]> {
  const prefix = modelArtifactPrefix(team, jobOf(model));
  const keys = [`${prefix}config.json`, `${prefix}model.safetensors`, `${prefix}training_record.json`];
  for (const key of keys) await h.deps.objects.put(key, '{}');
  return keys;
}

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

  it('Given a pt: model an alias routes to (even at weight 0), when deleted, then 409 naming the alias, and the model stays', async () => {
    const { team, auth } = await h.team();
    const pt = await h.model(team, 'pt');
    const alias = `ab-${newId('file').slice(-8).toLowerCase()}`;
    const put = await h.app.request(`/v1/aliases/${alias}`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({
        variants: [
          { model: 'attune-tiny', weight: 1 },
          { model: pt, weight: 0 },
        ],
      }),
    });
    expect(put.status).toBe(201);

    const res = await del(auth, pt);

    expect(res.status).toBe(409);
    const error = await errorOf(res);
    expect(error).toMatchObject({ code: 'model_in_use' });
    expect(error.message).toContain(alias);
    expect(await listIds(auth)).toContain(pt);
  });

  it("Given a model with its artifact in the bucket, when deleted, then every object under its prefix is gone and the job's checkpoints and other models stay", async () => {
    const { team, auth } = await h.team();
    const doomed = await h.model(team, 'ft');
    const kept = await h.model(team, 'pt');
    await artifactOf(team, doomed);
    const keptKeys = await artifactOf(team, kept);
    const checkpoint = `${checkpointPrefix(team, jobOf(doomed))}latest.json`;
    await h.deps.objects.put(checkpoint, '{}');
    expect((await del(auth, doomed)).status).toBe(200);
    const { objects } = await h.written(team);
    expect(objects.sort()).toEqual([...keptKeys, checkpoint].sort());
  });

  it('Given an ft: model an unfinished job is tuning, when deleted, then 409 naming the job, and model and artifact stay', async () => {
    const { team, auth } = await h.team();
    const ft = await h.model(team, 'ft');
    const keys = await artifactOf(team, ft);
    const id = newId('ftjob');
    await h.stores.jobs.create(
      jobRecord({
        team,
        id,
        model: ft,
        status: 'running',
        outputModel: `pt:attune-tiny:${team}::${id.slice(6)}`,
      }),
    );
    const res = await del(auth, ft);
    expect(res.status).toBe(409);
    expect(await errorOf(res)).toMatchObject({ code: 'model_in_use', message: expect.stringContaining(id) });
    expect(await listIds(auth)).toContain(ft);
    expect((await h.written(team)).objects.sort()).toEqual(keys.sort());
  });

  it("Given another team's model, when deleted, then 404 and the owner keeps it", async () => {
    const owner = await h.team();
    const ft = await h.model(owner.team, 'ft');
    const { auth } = await h.team();
    expect((await del(auth, ft)).status).toBe(404);
    expect(await listIds(owner.auth)).toContain(ft);
  });
});

describe('ObjectStore.deletePrefix', () => {
  it('Given a prefix that is not a directory, then a RangeError and nothing is deleted', async () => {
    const { team } = await h.team();
    const ft = await h.model(team, 'ft');
    const keys = await artifactOf(team, ft);
    await expect(
      h.deps.objects.deletePrefix(modelArtifactPrefix(team, jobOf(ft)).slice(0, -1)),
    ).rejects.toThrow(RangeError);
    await expect(h.deps.objects.deletePrefix('')).rejects.toThrow(RangeError);
    expect((await h.written(team)).objects.sort()).toEqual(keys.sort());
  });
});

import { describe, expect, it, vi } from 'vitest';
import { ConflictError, HttpError, NotFoundError } from '#core/errors.ts';
import type { AliasState } from '#core/inference/aliases.ts';
import { BASE_MODELS, type ModelRecord } from '#core/jobs/models.ts';
import { deleteModel, getModel, listModels, type ModelServiceDeps } from '#core/models/model-service.ts';
import { InMemoryObjectStorage } from '#tests/unit/files/in-memory-files.ts';
import { InMemoryAliasStore } from '#tests/unit/inference/in-memory-alias-store.ts';
import { InMemoryJobStore } from '#tests/unit/jobs/in-memory-job-store.ts';
import { jobRecord } from '#tests/unit/jobs/job-fixtures.ts';
import { InMemoryModelStore, modelRecord } from '#tests/unit/models/in-memory-model-store.ts';

const TEAM = 'sales';
const FT = 'ft:attune-tiny:sales:faq:01jab000000000000000000001';
const PT = 'pt:attune-tiny:sales:faq:01jab000000000000000000002';
const THEIRS = 'ft:attune-tiny:support:faq:01jab000000000000000000003';

function alias(name: string, variants: AliasState['variants'], team = TEAM): AliasState {
  const stats = variants.map(() => ({ served: 0, feedbackCount: 0, feedbackSum: 0 }));
  return { team, name, variants, stats, createdAt: 0, updatedAt: 0, generation: `gen-${name}` };
}

function service(
  setup: { models?: ModelRecord[]; jobs?: Parameters<typeof jobRecord>[0][]; aliases?: AliasState[] } = {},
) {
  const journal: string[] = [];
  const models = new InMemoryModelStore(
    setup.models ?? [modelRecord(FT), modelRecord(PT), modelRecord(THEIRS)],
    journal,
  );
  const objects = new InMemoryObjectStorage(journal);
  const jobs = new InMemoryJobStore((setup.jobs ?? []).map((j) => jobRecord(j)));
  const aliases = new InMemoryAliasStore(setup.aliases ?? []);
  const deps: ModelServiceDeps = { models, jobs, aliases, objects };
  return { deps, models, objects, journal };
}

describe('listModels', () => {
  it("Given a team's tuned models, then the base models first, then its tuned models newest first", async () => {
    const { deps } = service({
      models: [modelRecord(FT, { createdAt: 1 }), modelRecord(PT, { createdAt: 2 }), modelRecord(THEIRS)],
    });
    const ids = (await listModels(deps, TEAM)).map((m) => m.id);
    expect(ids).toEqual([...BASE_MODELS.map((m) => m.id), PT, FT]);
  });

  it("Given another team's models, then they are not listed", async () => {
    const { deps } = service({ models: [modelRecord(THEIRS)] });
    const listed = await listModels(deps, TEAM);
    expect(listed.map((m) => m.id)).toEqual(BASE_MODELS.map((m) => m.id));
  });
});

describe('getModel', () => {
  it('Given a base model, then its object, owned by attune', async () => {
    const { deps } = service();
    expect(await getModel(deps, TEAM, 'attune-tiny')).toMatchObject({
      id: 'attune-tiny',
      kind: 'base',
      owned_by: 'attune',
    });
  });

  it("Given the team's tuned model, then its object, owned by the team", async () => {
    const { deps } = service();
    expect(await getModel(deps, TEAM, FT)).toMatchObject({
      id: FT,
      kind: 'fine_tuned',
      owned_by: TEAM,
      fine_tuning_job: 'ftjob-01jab000000000000000000001',
    });
  });

  it("Given another team's tuned model, then 404 model_not_found", async () => {
    const { deps } = service();
    const failed = getModel(deps, TEAM, THEIRS);
    await expect(failed).rejects.toBeInstanceOf(NotFoundError);
    await expect(failed).rejects.toMatchObject({ param: 'model', code: 'model_not_found' });
  });

  it('Given a name that is neither a base nor a tuned model, then 404 model_not_found', async () => {
    const { deps } = service();
    await expect(getModel(deps, TEAM, 'gpt-4o')).rejects.toMatchObject({
      statusCode: 404,
      code: 'model_not_found',
    });
  });

  it("Given a well-formed name of the team's that has no record, then 404 model_not_found", async () => {
    const { deps } = service({ models: [] });
    await expect(getModel(deps, TEAM, FT)).rejects.toMatchObject({ statusCode: 404 });
  });
});

describe('deleteModel', () => {
  it('Given a base model, then 403 model_not_deletable and nothing is deleted', async () => {
    const { deps, journal } = service();
    const failed = deleteModel(deps, TEAM, 'attune-tiny');
    await expect(failed).rejects.toBeInstanceOf(HttpError);
    await expect(failed).rejects.toMatchObject({
      statusCode: 403,
      param: 'model',
      code: 'model_not_deletable',
    });
    expect(journal).toEqual([]);
  });

  it('Given no such model, then 404 model_not_found', async () => {
    const { deps } = service({ models: [] });
    await expect(deleteModel(deps, TEAM, FT)).rejects.toMatchObject({
      statusCode: 404,
      code: 'model_not_found',
    });
  });

  it("Given another team's model, then 404 and it is kept", async () => {
    const { deps, models, journal } = service();
    await expect(deleteModel(deps, TEAM, THEIRS)).rejects.toMatchObject({ statusCode: 404 });
    expect(await models.get('support', THEIRS)).toBeDefined();
    expect(journal).toEqual([]);
  });

  it('Given a tuned prompt attached to it, then 409 model_in_use naming the prompt', async () => {
    const { deps, journal } = service({ models: [modelRecord(FT), modelRecord(PT, { attachesTo: FT })] });
    const failed = deleteModel(deps, TEAM, FT);
    await expect(failed).rejects.toBeInstanceOf(ConflictError);
    await expect(failed).rejects.toMatchObject({ param: 'model', code: 'model_in_use' });
    await expect(failed).rejects.toThrow(`tuned prompts attached to it (${PT})`);
    expect(journal).toEqual([]);
  });

  it('Given an unfinished job tuning it, then 409 model_in_use naming the job', async () => {
    const job = { id: 'ftjob-01jab000000000000000000009', model: FT, status: 'running' as const };
    const { deps } = service({ jobs: [job] });
    const failed = deleteModel(deps, TEAM, FT);
    await expect(failed).rejects.toMatchObject({ statusCode: 409, code: 'model_in_use' });
    await expect(failed).rejects.toThrow(`unfinished jobs tuning it (${job.id})`);
  });

  it('Given an alias routing to it with weight 0, then 409 model_in_use naming the alias', async () => {
    const rolledBack = alias('chat', [
      { model: 'attune-tiny', weight: 1 },
      { model: FT, weight: 0 },
    ]);
    const { deps } = service({ aliases: [rolledBack] });
    const failed = deleteModel(deps, TEAM, FT);
    await expect(failed).rejects.toMatchObject({ statusCode: 409, code: 'model_in_use' });
    await expect(failed).rejects.toThrow('aliases routing to it (chat)');
  });

  it('Given a prompt, a job and an alias depending on it, then the 409 names each of them', async () => {
    const job = { id: 'ftjob-01jab000000000000000000009', model: FT, status: 'queued' as const };
    const { deps } = service({
      models: [modelRecord(FT), modelRecord(PT, { attachesTo: FT })],
      jobs: [job],
      aliases: [alias('chat', [{ model: FT, weight: 1 }]), alias('faq', [{ model: FT, weight: 2 }])],
    });
    await expect(deleteModel(deps, TEAM, FT)).rejects.toMatchObject({
      message: `The model '${FT}' has tuned prompts attached to it (${PT}) and unfinished jobs tuning it (${job.id}) and aliases routing to it (chat, faq); delete or finish them first.`,
    });
  });

  it("Given only finished jobs and other teams' jobs and aliases naming it, then it is deleted", async () => {
    const { deps, models } = service({
      jobs: [
        { id: 'ftjob-01jab000000000000000000007', model: FT, status: 'succeeded' },
        { id: 'ftjob-01jab000000000000000000008', model: FT, status: 'running', team: 'support' },
      ],
      aliases: [alias('chat', [{ model: FT, weight: 1 }], 'support')],
    });
    await deleteModel(deps, TEAM, FT);
    expect(await models.get(TEAM, FT)).toBeUndefined();
  });

  it('Given a model without dependants, then its objects are deleted before its record', async () => {
    const { deps, journal } = service();
    const prefix = modelRecord(FT).artifactPrefix;
    await deleteModel(deps, TEAM, FT);
    expect(journal).toEqual([`objects.deletePrefix ${prefix}`, `models.delete ${FT}`]);
  });

  it('Given a model without dependants, then only the objects under its prefix are deleted', async () => {
    const { deps, objects } = service();
    const prefix = modelRecord(FT).artifactPrefix;
    objects.objects.set(`${prefix}model.safetensors`, new Uint8Array(1));
    objects.objects.set(`${prefix}config.json`, new Uint8Array(1));
    objects.objects.set(`${modelRecord(PT).artifactPrefix}adapter_model.safetensors`, new Uint8Array(1));
    await deleteModel(deps, TEAM, FT);
    expect([...objects.objects.keys()]).toEqual([
      `${modelRecord(PT).artifactPrefix}adapter_model.safetensors`,
    ]);
  });

  it('Given deleting its objects fails, then the record is left for a retry and the error is thrown', async () => {
    const { deps, objects, models } = service();
    const failure = new Error('S3 unavailable');
    vi.spyOn(objects, 'deletePrefix').mockRejectedValue(failure);
    await expect(deleteModel(deps, TEAM, FT)).rejects.toBe(failure);
    expect(await models.get(TEAM, FT)).toBeDefined();
  });
});

describe('a tuned model deleted', () => {
  it('Given it was deleted, then a get answers 404', async () => {
    const { deps } = service();
    await deleteModel(deps, TEAM, FT);
    await expect(getModel(deps, TEAM, FT)).rejects.toMatchObject({ statusCode: 404 });
  });
});

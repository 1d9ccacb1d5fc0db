import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, ValidationError } from '#core/errors.ts';
import { type ResolveDeps, resolveModel } from '#core/inference/model-resolution.ts';
import type { AliasRecord } from '#core/inference/ports.ts';
import type { ModelRecord } from '#core/jobs/models.ts';

const FT = 'ft:attune-tiny:red::ft1';
const PT = 'pt:attune-tiny:red:faq:pt1';
const HYBRID = 'pt:attune-tiny:red::pt2';
const BLUE_PT = 'pt:attune-tiny:blue::pt3';

function record(team: string, id: string, attachesTo: string | null): ModelRecord {
  return {
    team,
    id,
    kind: id.startsWith('ft:') ? 'ft' : 'pt',
    baseModel: 'attune-tiny',
    attachesTo,
    jobId: `ftjob-${id.slice(-3)}`,
    createdAt: 1,
    artifactPrefix: `teams/${team}/models/ftjob-${id.slice(-3)}/`,
  };
}

const RECORDS = [
  record('red', FT, null),
  record('red', PT, 'attune-tiny'),
  record('red', HYBRID, FT),
  record('blue', BLUE_PT, 'attune-tiny'),
];

const ALIASES: AliasRecord[] = [
  {
    team: 'red',
    name: 'bot',
    variants: [
      { model: 'attune-tiny', weight: 1 },
      { model: PT, weight: 1 },
    ],
    createdAt: 1,
    updatedAt: 1,
    generation: 'g1',
  },
  {
    team: 'red',
    name: 'loop',
    variants: [{ model: 'bot', weight: 1 }],
    createdAt: 1,
    updatedAt: 1,
    generation: 'g1',
  },
  {
    team: 'blue',
    name: 'blue-bot',
    variants: [{ model: 'attune-tiny', weight: 1 }],
    createdAt: 1,
    updatedAt: 1,
    generation: 'g1',
  },
];

function deps(random = () => 0): ResolveDeps {
  return {
    models: { get: async (team, id) => RECORDS.find((r) => r.team === team && r.id === id) },
    aliases: { get: async (team, name) => ALIASES.find((a) => a.team === team && a.name === name) },
    random,
  };
}

const resolve = (model: string, extra: { adapter?: string; user?: string } = {}, random?: () => number) =>
  resolveModel({ team: 'red', model, ...extra }, deps(random));

async function rejection(
  promise: Promise<unknown>,
): Promise<{ status: number; code: string | null; param: string | null }> {
  try {
    await promise;
  } catch (error) {
    const e = error as NotFoundError;
    return { status: e.statusCode, code: e.code, param: e.param };
  }
  throw new Error('expected a rejection');
}

describe('resolveModel', () => {
  it('given a base model id, then it serves the base weights without a prompt', async () => {
    expect(await resolve('attune-tiny')).toEqual({
      served: 'attune-tiny',
      alias: null,
      aliasGeneration: null,
      weights: { kind: 'base', id: 'attune-tiny', directory: 'models/attune-tiny' },
      prompt: null,
    });
  });

  it("given the team's ft: model, then it serves that model's artifact", async () => {
    const resolved = await resolve(FT);
    expect(resolved.weights).toEqual({ kind: 'ft', id: FT, artifactPrefix: 'teams/red/models/ftjob-ft1/' });
    expect(resolved.prompt).toBeNull();
  });

  it("given the team's pt: model, then its prompt attaches to the base model it was tuned on", async () => {
    const resolved = await resolve(PT);
    expect(resolved.served).toBe(PT);
    expect(resolved.weights.id).toBe('attune-tiny');
    expect(resolved.prompt).toEqual({ id: PT, artifactPrefix: 'teams/red/models/ftjob-pt1/' });
  });

  it('given a hybrid pt: model, then its prompt attaches to the ft: model in attachesTo', async () => {
    const resolved = await resolve(HYBRID);
    expect(resolved.weights).toMatchObject({ kind: 'ft', id: FT });
    expect(resolved.prompt?.id).toBe(HYBRID);
  });

  it('given an alias, then the drawn variant is served and reported, and the alias is named', async () => {
    const low = await resolve('bot', {}, () => 0.1);
    const high = await resolve('bot', {}, () => 0.9);
    expect([low.served, low.alias]).toEqual(['attune-tiny', 'bot']);
    expect([high.served, high.alias, high.prompt?.id]).toEqual([PT, 'bot', PT]);
  });

  it("given an alias, then the resolution carries the alias's generation, so its counts go to that alias only", async () => {
    expect((await resolve('bot')).aliasGeneration).toBe('g1');
  });

  it('given an alias and a user, then the same user always gets the same variant', async () => {
    const first = await resolve('bot', { user: 'alice' }, () => 0.1);
    const again = await resolve('bot', { user: 'alice' }, () => 0.9);
    expect(again.served).toBe(first.served);
  });

  it('given an ft: model and adapter naming a prompt tuned on it, then that prompt attaches to it', async () => {
    const resolved = await resolve(FT, { adapter: HYBRID });
    expect(resolved.served).toBe(FT);
    expect(resolved.weights.id).toBe(FT);
    expect(resolved.prompt?.id).toBe(HYBRID);
  });

  it.each([
    ['an unknown name', 'gpt-9', {}, 404, 'model_not_found', 'model'],
    ["another team's pt: model", BLUE_PT, {}, 404, 'model_not_found', 'model'],
    ["another team's alias", 'blue-bot', {}, 404, 'model_not_found', 'model'],
    [
      'a well-formed tuned name that does not exist',
      'ft:attune-tiny:red::nope',
      {},
      404,
      'model_not_found',
      'model',
    ],
    ['an alias whose variant is an alias', 'loop', {}, 404, 'model_not_found', 'model'],
    [
      'an adapter tuned on another model',
      'attune-tiny',
      { adapter: HYBRID },
      400,
      'adapter_incompatible',
      'adapter',
    ],
    ['an adapter on a pt: model', PT, { adapter: PT }, 400, 'invalid_value', 'adapter'],
    ['an adapter that is not a pt: name', 'attune-tiny', { adapter: FT }, 400, 'invalid_value', 'adapter'],
    ["another team's adapter", 'attune-tiny', { adapter: BLUE_PT }, 404, 'model_not_found', 'adapter'],
  ])('given %s, then it is a %i %s', async (_, model, extra, status, code, param) => {
    expect(await rejection(resolve(model, extra))).toEqual({ status, code, param });
  });

  it('given an alias with no positive weight, then it is a 409', async () => {
    const broken: ResolveDeps = {
      ...deps(),
      aliases: {
        get: async () => ({
          ...(ALIASES[0] as AliasRecord),
          variants: [{ model: 'attune-tiny', weight: 0 }],
        }),
      },
    };
    await expect(resolveModel({ team: 'red', model: 'bot' }, broken)).rejects.toThrow(ConflictError);
  });

  it('given the error classes, then 404s and 400s are the hierarchy the error mapper knows', async () => {
    await expect(resolve('gpt-9')).rejects.toBeInstanceOf(NotFoundError);
    await expect(resolve(PT, { adapter: PT })).rejects.toBeInstanceOf(ValidationError);
  });
});

import { describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError } from '#core/errors.ts';
import {
  checkVariantModelsExist,
  MAX_ALIAS_VARIANTS,
  validateAliasName,
  validateAliasVariants,
} from '#core/inference/aliases.ts';
import type { AliasVariant } from '#core/inference/ports.ts';
import type { ModelRecord } from '#core/jobs/models.ts';
import type { ModelStore } from '#core/jobs/ports.ts';

const OURS = 'pt:attune-tiny:team-a::abc';
const THEIRS = 'ft:attune-tiny:team-b::def';

/** A model store holding one `pt:` model of team-a and one `ft:` model of team-b. */
function storeWithModels(): ModelStore {
  const records: ModelRecord[] = [OURS, THEIRS].map((id) => ({
    team: id.split(':')[2] as string,
    id,
    kind: id.startsWith('pt:') ? 'pt' : 'ft',
    baseModel: 'attune-tiny',
    attachesTo: id.startsWith('pt:') ? 'attune-tiny' : null,
    jobId: 'ftjob-x',
    createdAt: 0,
    artifactPrefix: 'teams/x/',
  }));
  return {
    put: async () => {},
    get: async (team, id) => records.find((r) => r.team === team && r.id === id),
    list: async (team) => records.filter((r) => r.team === team),
    delete: async () => false,
  };
}

function errorOf(fn: () => void): ValidationError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

const v = (model: string, weight: number): AliasVariant => ({ model, weight });

describe('alias names', () => {
  it.each(['chat', 'support-bot.v2', 'A_b-1', 'x'.repeat(64)])('Given %s, then it is accepted', (name) => {
    expect(() => validateAliasName(name)).not.toThrow();
  });

  it("Given a name with ':', then 400 saying ':' is for model names", () => {
    const error = errorOf(() => validateAliasName('pt:mine'));
    expect(error.param).toBe('name');
    expect(error.message).toContain("cannot contain ':'");
  });

  it('Given the id of a base model, then 400 saying an alias must not shadow it', () => {
    expect(errorOf(() => validateAliasName('attune-tiny')).message).toContain('base model');
  });

  it.each(['', '-lead', 'has space', 'a/b', 'x'.repeat(65), 'ünï'])(
    'Given the malformed name %j, then 400 naming the allowed characters',
    (name) => {
      const error = errorOf(() => validateAliasName(name));
      expect(error.param).toBe('name');
      expect(error.code).toBe('invalid_alias_name');
      expect(error.message).toContain('1 to 64 letters');
    },
  );
});

describe('alias variants', () => {
  it('Given a base model and a tuned prompt with weights 9 and 1, then they are accepted', () => {
    expect(() => validateAliasVariants([v('attune-tiny', 9), v(OURS, 1)])).not.toThrow();
  });

  it('Given a zero weight beside a positive one (a rolled-back arm), then they are accepted', () => {
    expect(() => validateAliasVariants([v('attune-tiny', 1), v(OURS, 0)])).not.toThrow();
  });

  it('Given no variants, then 400 on variants', () => {
    const error = errorOf(() => validateAliasVariants([]));
    expect(error.param).toBe('variants');
    expect(error.message).toContain(`1 to ${MAX_ALIAS_VARIANTS} variants`);
  });

  it(`Given ${MAX_ALIAS_VARIANTS + 1} variants, then 400 on variants`, () => {
    const many = Array.from({ length: MAX_ALIAS_VARIANTS + 1 }, (_, i) => v(`pt:attune-tiny:t::m${i}`, 1));
    expect(errorOf(() => validateAliasVariants(many)).param).toBe('variants');
  });

  it('Given the same model twice, then 400 on the second naming the first', () => {
    const error = errorOf(() => validateAliasVariants([v(OURS, 1), v('attune-tiny', 1), v(OURS, 1)]));
    expect(error.param).toBe('variants.2.model');
    expect(error.message).toContain('already variants.0');
  });

  it.each([-0.5, Number.NaN, Number.POSITIVE_INFINITY])(
    'Given the weight %s, then 400 on that variant weight',
    (weight) => {
      const error = errorOf(() => validateAliasVariants([v('attune-tiny', 1), v(OURS, weight)]));
      expect(error.param).toBe('variants.1.weight');
      expect(error.code).toBe('invalid_variants');
    },
  );

  it('Given weights that are all zero, then 400 saying they must sum to a positive number', () => {
    const error = errorOf(() => validateAliasVariants([v('attune-tiny', 0), v(OURS, 0)]));
    expect(error.param).toBe('variants');
    expect(error.message).toContain('sum to a positive');
  });

  it('Given weights whose sum overflows, then 400 saying the sum must be finite', () => {
    const error = errorOf(() => validateAliasVariants([v('attune-tiny', 1e308), v(OURS, 1e308)]));
    expect(error.message).toContain('positive finite');
  });

  it.each(['my-alias', 'gpt-4o', '', 'ft:attune-tiny:only-three'])(
    'Given the variant model %j that is no model name (an alias, a typo), then 400 on its model',
    (model) => {
      const error = errorOf(() => validateAliasVariants([v('attune-tiny', 1), v(model, 1)]));
      expect(error.param).toBe('variants.1.model');
      expect(error.message).toContain('cannot name another alias');
    },
  );
});

describe('alias variant models exist', () => {
  const models = storeWithModels();

  it("Given a base model and the team's own tuned prompt, then they pass", async () => {
    await expect(
      checkVariantModelsExist(models, 'team-a', [v('attune-tiny', 1), v(OURS, 1)]),
    ).resolves.toBeUndefined();
  });

  it("Given another team's model, then 404 on that variant as for a model that does not exist", async () => {
    const check = checkVariantModelsExist(models, 'team-a', [v('attune-tiny', 1), v(THEIRS, 1)]);
    await expect(check).rejects.toBeInstanceOf(NotFoundError);
    await expect(check).rejects.toMatchObject({ param: 'variants.1.model', code: 'model_not_found' });
  });

  it('Given a tuned model name of the team that is not registered, then 404 on that variant', async () => {
    const check = checkVariantModelsExist(models, 'team-a', [v('pt:attune-tiny:team-a::nope', 1)]);
    await expect(check).rejects.toMatchObject({ statusCode: 404, param: 'variants.0.model' });
  });
});

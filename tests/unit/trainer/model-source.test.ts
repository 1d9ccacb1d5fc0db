import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError } from '#core/errors.ts';
import type { ModelRecord } from '#core/jobs/models.ts';
import { resolveModelSource } from '#trainer/model-source.ts';

const FT = 'ft:attune-tiny:team-a:x:abc';
const record: ModelRecord = {
  team: 'team-a',
  id: FT,
  kind: 'ft',
  baseModel: 'attune-tiny',
  attachesTo: null,
  jobId: 'ftjob-abc',
  createdAt: 1,
  artifactPrefix: 'teams/team-a/models/ftjob-abc/',
};
const models = {
  get: async (team: string, id: string) => (team === record.team && id === record.id ? record : undefined),
};

describe('resolveModelSource', () => {
  it('Given the built-in base model, when resolved, then it is its directory under the base models root', async () => {
    const source = await resolveModelSource({ team: 'team-a', model: 'attune-tiny' }, models, '/opt/app');
    expect(source).toEqual({ kind: 'local', dir: path.resolve('/opt/app', 'models/attune-tiny') });
  });

  it("Given the team's ft: model, when resolved, then it is the model's artifact prefix in the bucket", async () => {
    const source = await resolveModelSource({ team: 'team-a', model: FT }, models, '/opt/app');
    expect(source).toEqual({ kind: 'bucket', prefix: 'teams/team-a/models/ftjob-abc/' });
  });

  it("Given another team's ft: model, when resolved, then it is not found", async () => {
    await expect(resolveModelSource({ team: 'team-b', model: FT }, models, '/')).rejects.toThrow(
      NotFoundError,
    );
  });

  it('Given a name that is neither a base model nor a tuned model, when resolved, then it is a ValidationError', async () => {
    await expect(resolveModelSource({ team: 'team-a', model: 'gpt-9' }, models, '/')).rejects.toThrow(
      ValidationError,
    );
  });

  it('Given a pt: tuned prompt, when resolved, then it is refused as a model to train', async () => {
    const pt = 'pt:attune-tiny:team-a:x:abc';
    await expect(resolveModelSource({ team: 'team-a', model: pt }, models, '/')).rejects.toThrow(
      /tuned prompt/,
    );
  });
});

import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { JobRepository } from '#aws/job-repository.ts';
import { ModelRepository } from '#aws/model-repository.ts';
import { ConflictError } from '#core/errors.ts';
import { newId } from '#core/ids.ts';
import type { JobRecord } from '#core/jobs/job.ts';
import type { JobStatus } from '#core/jobs/job-status.ts';
import { testClients, testConfig } from '#tests/test-clients.ts';
import { jobRecord } from '#tests/unit/jobs/job-fixtures.ts';

const config = testConfig();
const { dynamo } = testClients();
const jobs = new JobRepository(dynamo, config.tableName);
const models = new ModelRepository(dynamo, config.tableName);

const newTeam = () => `t-${randomUUID().slice(0, 12)}`;

function job(team: string, overrides: Partial<JobRecord> = {}): JobRecord {
  return jobRecord({ team, id: newId('ftjob'), status: 'validating_files', batchJobId: null, ...overrides });
}

const claim = (key: string, fingerprint = 'f1') => ({ key, fingerprint });

describe('JobRepository.create and get', () => {
  it('Given a new job, when created and read back, then the same record returns', async () => {
    const team = newTeam();
    const record = job(team);
    expect(await jobs.create(record)).toEqual({ job: record, created: true });
    expect(await jobs.get(team, record.id)).toEqual(record);
  });

  it("Given another team's job id, when read, then nothing is found", async () => {
    const record = job(newTeam());
    await jobs.create(record);
    expect(await jobs.get(newTeam(), record.id)).toBeUndefined();
  });

  it('Given an Idempotency-Key already used, when the same request is retried, then the first job returns and no second exists', async () => {
    const team = newTeam();
    const first = job(team);
    await jobs.create(first, claim('key-1'));
    const retry = await jobs.create(job(team), claim('key-1'));
    expect(retry).toEqual({ job: first, created: false });
    expect((await jobs.list(team, { limit: 10 })).map((j) => j.id)).toEqual([first.id]);
  });

  it('Given an Idempotency-Key already used, when a different request reuses it, then 409 and nothing is written', async () => {
    const team = newTeam();
    await jobs.create(job(team), claim('key-1', 'f1'));
    await expect(jobs.create(job(team), claim('key-1', 'f2'))).rejects.toThrow(ConflictError);
    expect(await jobs.list(team, { limit: 10 })).toHaveLength(1);
  });

  it('Given five creates racing with one key, then exactly one job is created and all five return it', async () => {
    const team = newTeam();
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, () => jobs.create(job(team), claim('race'))),
    );
    expect(outcomes.filter((o) => o.created)).toHaveLength(1);
    expect(new Set(outcomes.map((o) => o.job.id)).size).toBe(1);
    expect(await jobs.list(team, { limit: 10 })).toHaveLength(1);
  });

  it('Given the same key in two teams, then each team gets its own job', async () => {
    const a = await jobs.create(job(newTeam()), claim('shared'));
    const b = await jobs.create(job(newTeam()), claim('shared'));
    expect(a.created && b.created).toBe(true);
  });
});

describe('JobRepository.list', () => {
  async function createMany(
    team: string,
    n: number,
    metadata = (_i: number) => ({}) as Record<string, string>,
  ) {
    const created: JobRecord[] = [];
    for (let i = 0; i < n; i++) {
      const record = job(team, { metadata: metadata(i) });
      await jobs.create(record);
      created.push(record);
      await new Promise((r) => setTimeout(r, 2));
    }
    return created;
  }

  it('Given five jobs, when listed two at a time, then pages run newest first without gaps', async () => {
    const team = newTeam();
    const created = await createMany(team, 5);
    const newestFirst = created.map((j) => j.id).reverse();
    const first = await jobs.list(team, { limit: 2 });
    expect(first.map((j) => j.id)).toEqual(newestFirst.slice(0, 3));
    const second = await jobs.list(team, { limit: 2, after: newestFirst[1] });
    expect(second.map((j) => j.id)).toEqual(newestFirst.slice(2, 5));
    const last = await jobs.list(team, { limit: 2, after: newestFirst[3] });
    expect(last.map((j) => j.id)).toEqual(newestFirst.slice(4));
  });

  it('Given jobs with metadata, when filtered by a pair, then only matching jobs list, paged', async () => {
    const team = newTeam();
    const created = await createMany(team, 6, (i) => ({
      project: i % 2 === 0 ? 'faq' : 'legal',
      n: String(i),
    }));
    const faq = created
      .filter((_, i) => i % 2 === 0)
      .map((j) => j.id)
      .reverse();
    const page = await jobs.list(team, { limit: 2, metadata: { project: 'faq' } });
    expect(page.map((j) => j.id)).toEqual(faq);
    const both = await jobs.list(team, { limit: 5, metadata: { project: 'faq', n: '2' } });
    expect(both.map((j) => j.id)).toEqual([created[2]?.id]);
  });
});

describe('JobRepository.transition', () => {
  it('Given a job, when moved up the ranks, then each step applies with its changes', async () => {
    const team = newTeam();
    const record = job(team);
    await jobs.create(record);
    const queued = await jobs.transition(team, record.id, 'queued', { batchJobId: 'b-1' });
    expect(queued.applied).toBe(true);
    expect(queued.job).toMatchObject({ status: 'queued', batchJobId: 'b-1' });
    const failed = await jobs.transition(team, record.id, 'failed', {
      error: { code: 'batch_job_failed', message: 'exit 1', param: null },
      finishedAt: 123,
      estimatedFinish: null,
    });
    expect(failed.job).toMatchObject({
      status: 'failed',
      finishedAt: 123,
      estimatedFinish: null,
      error: { code: 'batch_job_failed', message: 'exit 1', param: null },
    });
  });

  it.each([
    ['running', 'queued'],
    ['running', 'running'],
    ['succeeded', 'failed'],
    ['cancelled', 'running'],
  ] as const)(
    'Given a %s job, when %s is written, then it is refused and the job is unchanged',
    async (from, to) => {
      const team = newTeam();
      const record = job(team, { status: from });
      await jobs.create(record);
      const outcome = await jobs.transition(team, record.id, to);
      expect(outcome).toEqual({ applied: false, job: record });
    },
  );

  it('Given no such job, when a transition is written, then nothing is created', async () => {
    const team = newTeam();
    const outcome = await jobs.transition(team, newId('ftjob'), 'running');
    expect(outcome).toEqual({ applied: false, job: undefined });
    expect(await jobs.list(team, { limit: 5 })).toEqual([]);
  });

  it('Given a refused transition carrying a Batch job id the job lacks, then the id is still recorded, once', async () => {
    const team = newTeam();
    const record = job(team, { status: 'running' });
    await jobs.create(record);
    const first = await jobs.transition(team, record.id, 'queued', { batchJobId: 'b-1' });
    expect(first).toMatchObject({ applied: false, job: { status: 'running', batchJobId: 'b-1' } });
    const second = await jobs.transition(team, record.id, 'queued', { batchJobId: 'b-2' });
    expect(second.job?.batchJobId).toBe('b-1');
  });

  it('Given a running job, when cancel and success race twenty times, then exactly one wins each time and the job shows it', async () => {
    const team = newTeam();
    for (let round = 0; round < 20; round++) {
      const record = job(team, { status: 'running' });
      await jobs.create(record);
      const racers: JobStatus[] = round % 2 === 0 ? ['cancelled', 'succeeded'] : ['succeeded', 'cancelled'];
      const outcomes = await Promise.all(racers.map((to) => jobs.transition(team, record.id, to)));
      const winners = outcomes.map((o, i) => (o.applied ? racers[i] : null)).filter((s) => s !== null);
      expect(winners).toHaveLength(1);
      expect((await jobs.get(team, record.id))?.status).toBe(winners[0]);
    }
  });
});

describe('JobRepository.listActive', () => {
  it('Given jobs of two teams, then unfinished ones are listed and a job leaves the list when it finishes', async () => {
    const [a, b] = [newTeam(), newTeam()];
    const queued = job(a, { status: 'queued' });
    const running = job(b, { status: 'running' });
    const done = job(a, { status: 'succeeded' });
    for (const record of [queued, running, done]) await jobs.create(record);
    const ids = async () => (await jobs.listActive()).map((j) => j.id);
    expect(await ids()).toEqual(expect.arrayContaining([queued.id, running.id]));
    expect(await ids()).not.toContain(done.id);
    await jobs.transition(b, running.id, 'failed');
    expect(await ids()).not.toContain(running.id);
    expect((await jobs.listActive()).find((j) => j.id === queued.id)).toEqual(queued);
  });

  it('Given a queued job, when it starts running, then it is still listed, with its new status', async () => {
    const team = newTeam();
    const record = job(team, { status: 'queued' });
    await jobs.create(record);
    await jobs.transition(team, record.id, 'running');
    expect((await jobs.listActive()).find((j) => j.id === record.id)?.status).toBe('running');
  });
});

describe('JobRepository.recordProgress', () => {
  it('Given a running job, when the trainer reports progress, then trained tokens and the finish estimate are stored', async () => {
    const team = newTeam();
    const record = job(team, { status: 'running' });
    await jobs.create(record);
    expect(await jobs.recordProgress(team, record.id, { trainedTokens: 5000, estimatedFinish: 99 })).toBe(
      true,
    );
    expect(await jobs.get(team, record.id)).toMatchObject({ trainedTokens: 5000, estimatedFinish: 99 });
  });

  it.each(['queued', 'succeeded', 'cancelled'] as const)(
    'Given a %s job, when progress arrives, then it is refused and the job is unchanged',
    async (status) => {
      const team = newTeam();
      const record = job(team, { status });
      await jobs.create(record);
      expect(await jobs.recordProgress(team, record.id, { trainedTokens: 1, estimatedFinish: null })).toBe(
        false,
      );
      expect(await jobs.get(team, record.id)).toEqual(record);
    },
  );
});

describe('JobRepository events and checkpoints', () => {
  it('Given five events, when listed two at a time, then newest first with after', async () => {
    const team = newTeam();
    const jobId = newId('ftjob');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const id = newId('ftevent');
      ids.push(id);
      await jobs.addEvent(team, {
        id,
        jobId,
        createdAt: i,
        level: 'info',
        message: `step ${i}`,
        type: 'metrics',
        data: { step: i, train_loss: 2 - i / 10 },
      });
      await new Promise((r) => setTimeout(r, 2));
    }
    const newest = [...ids].reverse();
    const page = await jobs.listEvents(team, jobId, { limit: 2 });
    expect(page.map((e) => e.id)).toEqual(newest.slice(0, 3));
    expect(page[0]).toMatchObject({ message: 'step 4', type: 'metrics', data: { step: 4, train_loss: 1.6 } });
    const next = await jobs.listEvents(team, jobId, { limit: 2, after: newest[1] });
    expect(next.map((e) => e.id)).toEqual(newest.slice(2, 5));
  });

  it("Given events of two jobs, then each job's list holds only its own", async () => {
    const team = newTeam();
    const [a, b] = [newId('ftjob'), newId('ftjob')];
    for (const jobId of [a, b]) {
      await jobs.addEvent(team, {
        id: newId('ftevent'),
        jobId,
        createdAt: 1,
        level: 'info',
        message: jobId,
        type: 'message',
        data: null,
      });
    }
    expect((await jobs.listEvents(team, a, { limit: 10 })).map((e) => e.message)).toEqual([a]);
  });

  it('Given checkpoints, when listed, then newest first with their metrics', async () => {
    const team = newTeam();
    const jobId = newId('ftjob');
    for (const step of [10, 20]) {
      await jobs.addCheckpoint(team, {
        id: newId('ftckpt'),
        jobId,
        createdAt: step,
        stepNumber: step,
        metrics: { step, train_loss: 1 / step },
        objectPrefix: `teams/${team}/checkpoints/${jobId}/step-${step}/`,
      });
      await new Promise((r) => setTimeout(r, 2));
    }
    const listed = await jobs.listCheckpoints(team, jobId, { limit: 10 });
    expect(listed.map((c) => c.stepNumber)).toEqual([20, 10]);
  });
});

describe('ModelRepository', () => {
  const model = (team: string, id: string, createdAt: number) => ({
    team,
    id,
    kind: 'pt' as const,
    baseModel: 'attune-tiny',
    attachesTo: 'attune-tiny',
    jobId: 'ftjob-x',
    createdAt,
    artifactPrefix: `teams/${team}/models/ftjob-x/`,
  });

  it('Given registered models, when listed, then newest first; a second put changes nothing', async () => {
    const team = newTeam();
    await models.put(model(team, `pt:attune-tiny:${team}::a`, 1));
    await models.put(model(team, `pt:attune-tiny:${team}::b`, 2));
    await models.put(model(team, `pt:attune-tiny:${team}::b`, 2));
    expect((await models.list(team)).map((m) => m.id)).toEqual([
      `pt:attune-tiny:${team}::b`,
      `pt:attune-tiny:${team}::a`,
    ]);
  });

  it("Given a team's model, when another team reads it, then nothing is found", async () => {
    const team = newTeam();
    const id = `pt:attune-tiny:${team}::a`;
    await models.put(model(team, id, 1));
    expect(await models.get(team, id)).toEqual(model(team, id, 1));
    expect(await models.get(newTeam(), id)).toBeUndefined();
  });

  it('Given a model, when deleted twice, then the first deletes and the second finds nothing', async () => {
    const team = newTeam();
    const id = `ft:attune-tiny:${team}::a`;
    await models.put(model(team, id, 1));
    expect(await models.delete(team, id)).toBe(true);
    expect(await models.delete(team, id)).toBe(false);
    expect(await models.get(team, id)).toBeUndefined();
  });
});

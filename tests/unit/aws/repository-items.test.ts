import { describe, expect, it } from 'vitest';
import { AliasRepository } from '#aws/alias-repository.ts';
import { ApiKeyRepository } from '#aws/api-key-repository.ts';
import { CalibrationRepository } from '#aws/calibration-repository.ts';
import { CompletionLogRepository } from '#aws/completion-log-repository.ts';
import { FileRepository } from '#aws/file-repository.ts';
import { JobRepository } from '#aws/job-repository.ts';
import { ModelRepository } from '#aws/model-repository.ts';
import { SpendRepository } from '#aws/spend-repository.ts';
import type { FileRecord } from '#core/files.ts';
import { fakeDynamo } from '#tests/unit/aws/fake-dynamo.ts';
import { jobRecord } from '#tests/unit/jobs/job-fixtures.ts';

const TABLE = 'attune-test';
const NOW = 1_800_000_000;

const file: FileRecord = {
  team: 'sales',
  id: 'file-1',
  filename: 'train.jsonl',
  purpose: 'fine-tune',
  bytes: 120,
  createdAt: NOW,
  status: 'uploaded',
  statusDetails: null,
  objectKey: 'teams/sales/files/file-1',
};
const fileItem = { pk: 'TEAM#sales', sk: 'FILE#file-1', ...file };

const job = jobRecord();
const jobItem = {
  pk: 'TEAM#sales',
  sk: `JOB#${job.id}`,
  rank: 1,
  gsi1pk: 'JOBS#ACTIVE',
  gsi1sk: job.id,
  ...job,
};

const completion = { team: 'sales', id: 'cmpl-1', model: 'attune-tiny', alias: 'chat', createdAt: NOW };
const completionItem = {
  pk: 'TEAM#sales',
  sk: 'CMPL#cmpl-1',
  ...completion,
  aliasGeneration: 'g-1',
  expiresAt: NOW + 3600,
};

const aliasItem = {
  pk: 'TEAM#sales',
  sk: 'ALIAS#chat',
  team: 'sales',
  name: 'chat',
  variants: [{ model: 'attune-tiny', weight: 1 }],
  createdAt: NOW,
  updatedAt: NOW,
  revision: 'r-1',
  generation: 'g-1',
  stats: { 'attune-tiny': { served: 3, feedbackCount: 1, feedbackSum: 1 } },
};

describe('file items', () => {
  it('Given a file item with an ingestion claim, when read, then the record has neither keys nor claim', async () => {
    const item = { ...fileItem, ingestVersion: 'v1', ingestClaimedAt: NOW };
    const files = new FileRepository(fakeDynamo({ Item: item }), TABLE);
    expect(await files.get('sales', 'file-1')).toStrictEqual(file);
  });

  it('Given a file item with an unknown status, when read, then a CorruptItemError names the key and field', async () => {
    const files = new FileRepository(fakeDynamo({ Item: { ...fileItem, status: 'done' } }), TABLE);
    await expect(files.get('sales', 'file-1')).rejects.toThrow(
      /^Malformed file item TEAM#sales\/FILE#file-1: status: Invalid option/,
    );
  });

  it('Given one malformed file in a page, when listed, then the list fails instead of dropping it', async () => {
    const bad = { ...fileItem, sk: 'FILE#file-2', id: 'file-2', report: { examples: 'many' } };
    const files = new FileRepository(fakeDynamo({ Items: [fileItem, bad] }), TABLE);
    await expect(files.list('sales', 10)).rejects.toThrow(/TEAM#sales\/FILE#file-2: report\.format/);
  });
});

describe('job items', () => {
  it('Given a job item not yet dispatched (no batchJobId), when read, then batchJobId is null and the index keys are gone', async () => {
    const { batchJobId: _b, ...undispatched } = jobItem;
    const jobs = new JobRepository(fakeDynamo({ Item: undispatched }), TABLE);
    expect(await jobs.get('sales', job.id)).toStrictEqual({ ...job, batchJobId: null });
  });

  it('Given a job item with an unknown status, when read, then a CorruptItemError names the key and field', async () => {
    const jobs = new JobRepository(fakeDynamo({ Item: { ...jobItem, status: 'paused' } }), TABLE);
    await expect(jobs.get('sales', job.id)).rejects.toThrow(
      `Malformed job item TEAM#sales/JOB#${job.id}: status: Invalid option`,
    );
  });

  it('Given a job item whose actual cost lacks its figure, when listed, then the error names the nested field', async () => {
    const item = { ...jobItem, actualCost: { wall_seconds: 60, usd_per_hour: 1 } };
    const jobs = new JobRepository(fakeDynamo({ Items: [item] }), TABLE);
    await expect(jobs.list('sales', { limit: 10 })).rejects.toThrow(/actualCost\.cost_usd: Invalid input/);
  });

  it('Given a transition whose new item is malformed, when applied, then the error names the key', async () => {
    const jobs = new JobRepository(fakeDynamo({ Attributes: { ...jobItem, seed: 'forty-two' } }), TABLE);
    await expect(jobs.transition('sales', job.id, 'running')).rejects.toThrow(
      `Malformed job item TEAM#sales/JOB#${job.id}: seed:`,
    );
  });

  it('Given a malformed event item, when events are listed, then a CorruptItemError names it', async () => {
    const event = {
      pk: 'TEAM#sales',
      sk: `JOBEVT#${job.id}#ev-1`,
      id: 'ev-1',
      jobId: job.id,
      createdAt: NOW,
      level: 'debug',
      message: 'started',
      type: 'message',
      data: null,
    };
    const jobs = new JobRepository(fakeDynamo({ Items: [event] }), TABLE);
    await expect(jobs.listEvents('sales', job.id, { limit: 10 })).rejects.toThrow(
      `Malformed job event item TEAM#sales/JOBEVT#${job.id}#ev-1: level: Invalid option`,
    );
  });

  it('Given a malformed checkpoint item, when checkpoints are listed, then a CorruptItemError names it', async () => {
    const checkpoint = {
      pk: 'TEAM#sales',
      sk: `JOBCKPT#${job.id}#ck-1`,
      id: 'ck-1',
      jobId: job.id,
      createdAt: NOW,
      stepNumber: 10,
      metrics: { step: '10' },
      objectPrefix: 'teams/sales/checkpoints/x/',
    };
    const jobs = new JobRepository(fakeDynamo({ Items: [checkpoint] }), TABLE);
    await expect(jobs.listCheckpoints('sales', job.id, { limit: 10 })).rejects.toThrow(
      `Malformed checkpoint item TEAM#sales/JOBCKPT#${job.id}#ck-1: metrics.step: Invalid input`,
    );
  });

  it('Given a create replayed onto an Idempotency-Key claim without fingerprint, then a CorruptItemError names the claim', async () => {
    const cancelled = Object.assign(new Error('cancelled'), { name: 'TransactionCanceledException' });
    const claim = { pk: 'TEAM#sales', sk: 'JOBIDEM#abc', jobId: job.id, expiresAt: NOW };
    const jobs = new JobRepository(fakeDynamo(cancelled, { Item: claim }), TABLE);
    await expect(jobs.create(job, { key: 'k', fingerprint: 'f' })).rejects.toThrow(
      'Malformed idempotency claim item TEAM#sales/JOBIDEM#abc: fingerprint: Invalid input',
    );
  });

  it('Given a create whose transaction failed with no claim stored, then the original failure is rethrown', async () => {
    const cancelled = Object.assign(new Error('cancelled'), { name: 'TransactionCanceledException' });
    const jobs = new JobRepository(fakeDynamo(cancelled, {}), TABLE);
    await expect(jobs.create(job, { key: 'k', fingerprint: 'f' })).rejects.toBe(cancelled);
  });
});

describe('model items', () => {
  it('Given a model item of an unknown kind, when read, then a CorruptItemError names the key and field', async () => {
    const item = {
      pk: 'TEAM#sales',
      sk: 'MODEL#ft:attune-tiny:sales::x',
      team: 'sales',
      id: 'ft:attune-tiny:sales::x',
      kind: 'lora',
      baseModel: 'attune-tiny',
      attachesTo: null,
      jobId: job.id,
      createdAt: NOW,
      artifactPrefix: 'teams/sales/models/x/',
    };
    const models = new ModelRepository(fakeDynamo({ Items: [item] }), TABLE);
    await expect(models.list('sales')).rejects.toThrow(
      'Malformed model item TEAM#sales/MODEL#ft:attune-tiny:sales::x: kind: Invalid option',
    );
  });
});

describe('alias items', () => {
  it('Given an alias item without counters, when read, then every variant counts zero', async () => {
    const { stats: _s, ...uncounted } = aliasItem;
    const aliases = new AliasRepository(fakeDynamo({ Item: uncounted }), TABLE);
    expect((await aliases.get('sales', 'chat'))?.stats).toEqual([
      { served: 0, feedbackCount: 0, feedbackSum: 0 },
    ]);
  });

  it('Given an alias item whose weight is not a number, when read, then a CorruptItemError names the field', async () => {
    const item = { ...aliasItem, variants: [{ model: 'attune-tiny', weight: '1' }] };
    const aliases = new AliasRepository(fakeDynamo({ Item: item }), TABLE);
    await expect(aliases.get('sales', 'chat')).rejects.toThrow(
      'Malformed alias item TEAM#sales/ALIAS#chat: variants.0.weight: Invalid input',
    );
  });

  it('Given an alias item without generation, when put over, then the replace is refused as corrupt', async () => {
    const { generation: _g, ...ungenerated } = aliasItem;
    const aliases = new AliasRepository(fakeDynamo({ Item: ungenerated }), TABLE);
    await expect(aliases.put('sales', 'chat', [{ model: 'attune-tiny', weight: 1 }], NOW)).rejects.toThrow(
      'Malformed alias item TEAM#sales/ALIAS#chat: generation: Invalid input',
    );
  });
});

describe('completion items', () => {
  it('Given a completion item from before aliases had generations, when read, then its generation is null', async () => {
    const { aliasGeneration: _g, ...old } = completionItem;
    const log = new CompletionLogRepository(fakeDynamo({ Item: old }), TABLE, () => NOW);
    expect(await log.getServed('sales', 'cmpl-1')).toEqual({ ...completion, aliasGeneration: null });
  });

  it('Given a completion item without expiry, when read, then a CorruptItemError names the key and field', async () => {
    const { expiresAt: _e, ...unexpiring } = completionItem;
    const log = new CompletionLogRepository(fakeDynamo({ Item: unexpiring }), TABLE, () => NOW);
    await expect(log.getServed('sales', 'cmpl-1')).rejects.toThrow(
      'Malformed completion item TEAM#sales/CMPL#cmpl-1: expiresAt: Invalid input',
    );
  });
});

describe('calibration, spend and API key items', () => {
  it('Given a calibration run without its throughput, when read, then a CorruptItemError names the field', async () => {
    const run = { pk: 'CALIBRATION#b', sk: 'RUN#1#ftjob-1', flopsPerToken: 1e6, recordedAt: NOW };
    const calibration = new CalibrationRepository(fakeDynamo({ Items: [run] }), TABLE);
    const bucket = {
      instanceType: 'local',
      backend: 'tfjs-wasm',
      method: 'supervised',
      modelSize: '<10M',
    } as const;
    await expect(calibration.recent(bucket)).rejects.toThrow(
      'Malformed calibration item CALIBRATION#b/RUN#1#ftjob-1: tokensPerSecond: Invalid input',
    );
  });

  it('Given a spend item whose amount is not a number, when read, then a CorruptItemError names the field', async () => {
    const spend = new SpendRepository(
      fakeDynamo({ Item: { pk: 'TEAM#sales', sk: 'SPEND#2027-01', usd: '3' } }),
      TABLE,
    );
    await expect(spend.spent('sales', '2027-01')).rejects.toThrow(
      'Malformed spend item TEAM#sales/SPEND#2027-01: usd: Invalid input',
    );
  });

  it('Given no spend item for the month, when read, then nothing was spent', async () => {
    expect(await new SpendRepository(fakeDynamo({}), TABLE).spent('sales', '2027-01')).toBe(0);
  });

  it('Given an API key item whose team is not a string, when looked up, then it is corrupt, not an unknown key', async () => {
    const item = { pk: 'APIKEY#h', sk: 'APIKEY', team: 7, createdAt: NOW };
    const keys = new ApiKeyRepository(fakeDynamo({ Item: item }), TABLE);
    await expect(keys.teamForKey('sk-x')).rejects.toThrow(
      expect.objectContaining({
        name: 'CorruptItemError',
        message:
          'Malformed API key item APIKEY#h/APIKEY: team: Invalid input: expected string, received number',
      }),
    );
  });
});

import { randomUUID } from 'node:crypto';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { AliasRepository, aliasSk } from '#aws/alias-repository.ts';
import { CompletionLogRepository, completionSk } from '#aws/completion-log-repository.ts';
import { FileRepository } from '#aws/file-repository.ts';
import { JobRepository, jobEventSk, jobSk } from '#aws/job-repository.ts';
import { ModelRepository, modelSk } from '#aws/model-repository.ts';
import { fileSk, teamPk } from '#aws/table-keys.ts';
import { CorruptItemError } from '#core/errors.ts';
import { fileObjectKey } from '#core/files.ts';
import { newId } from '#core/ids.ts';
import { testClients, testConfig } from '#tests/test-clients.ts';
import { jobRecord } from '#tests/unit/jobs/job-fixtures.ts';

/**
 * Items written straight into DynamoDB Local, bypassing the repositories, the way a bug, an old writer or a
 * hand edit would leave them: each read must fail with the item's key and field, never return the item.
 */
const config = testConfig();
const { dynamo } = testClients();
const NOW = Math.floor(Date.now() / 1000);
const newTeam = () => `t-${randomUUID().slice(0, 12)}`;
const written: { pk: string; sk: string }[] = [];

async function put(item: Record<string, unknown> & { pk: string; sk: string }): Promise<void> {
  await dynamo.send(new PutCommand({ TableName: config.tableName, Item: item }));
  written.push({ pk: item.pk, sk: item.sk });
}

afterEach(async () => {
  for (const key of written.splice(0)) {
    await dynamo.send(new DeleteCommand({ TableName: config.tableName, Key: key }));
  }
});

describe('corrupt items in DynamoDB', () => {
  it('Given a file item with a string for its size, when read and listed, then both fail naming the key and field', async () => {
    const team = newTeam();
    const id = newId('file');
    await put({
      pk: teamPk(team),
      sk: fileSk(id),
      team,
      id,
      filename: 'train.jsonl',
      purpose: 'fine-tune',
      bytes: '120',
      createdAt: NOW,
      status: 'uploaded',
      statusDetails: null,
      objectKey: fileObjectKey(team, id),
    });
    const files = new FileRepository(dynamo, config.tableName);
    const message = `Malformed file item ${teamPk(team)}/${fileSk(id)}: bytes: Invalid input: expected number, received string`;
    await expect(files.get(team, id)).rejects.toThrow(message);
    await expect(files.list(team, 10)).rejects.toThrow(CorruptItemError);
  });

  it('Given a job item with an unknown status, when read and listed, then both fail naming the key', async () => {
    const team = newTeam();
    const job = jobRecord({ team, id: newId('ftjob') });
    await put({
      pk: teamPk(team),
      sk: jobSk(job.id),
      rank: 1,
      ...job,
      status: 'paused',
    });
    const jobs = new JobRepository(dynamo, config.tableName);
    const message = `Malformed job item ${teamPk(team)}/${jobSk(job.id)}: status: Invalid option`;
    await expect(jobs.get(team, job.id)).rejects.toThrow(message);
    await expect(jobs.list(team, { limit: 10 })).rejects.toThrow(message);
  });

  it('Given a job item missing its method, when read, then the error names the missing field', async () => {
    const team = newTeam();
    const { method: _m, ...job } = jobRecord({ team, id: newId('ftjob') });
    await put({ pk: teamPk(team), sk: jobSk(job.id), rank: 1, ...job });
    await expect(new JobRepository(dynamo, config.tableName).get(team, job.id)).rejects.toThrow(
      `Malformed job item ${teamPk(team)}/${jobSk(job.id)}: method: Invalid input: expected object, received undefined`,
    );
  });

  it('Given a job event item without its message, when events are listed, then the error names the event', async () => {
    const team = newTeam();
    const jobId = newId('ftjob');
    await put({
      pk: teamPk(team),
      sk: jobEventSk(jobId, 'ev-1'),
      id: 'ev-1',
      jobId,
      createdAt: NOW,
      level: 'info',
      type: 'message',
      data: null,
    });
    await expect(
      new JobRepository(dynamo, config.tableName).listEvents(team, jobId, { limit: 10 }),
    ).rejects.toThrow(`Malformed job event item ${teamPk(team)}/${jobEventSk(jobId, 'ev-1')}: message:`);
  });

  it('Given a model item without its artifact prefix, when listed, then the error names the model', async () => {
    const team = newTeam();
    const id = `ft:attune-tiny:${team}::x`;
    await put({
      pk: teamPk(team),
      sk: modelSk(id),
      team,
      id,
      kind: 'ft',
      baseModel: 'attune-tiny',
      attachesTo: null,
      jobId: newId('ftjob'),
      createdAt: NOW,
    });
    await expect(new ModelRepository(dynamo, config.tableName).list(team)).rejects.toThrow(
      `Malformed model item ${teamPk(team)}/${modelSk(id)}: artifactPrefix:`,
    );
  });

  it('Given an alias item whose variants are not a list, when read, then the error names the alias', async () => {
    const team = newTeam();
    await put({
      pk: teamPk(team),
      sk: aliasSk('chat'),
      team,
      name: 'chat',
      variants: 'attune-tiny',
      createdAt: NOW,
      updatedAt: NOW,
      revision: 'r',
      generation: 'g',
      stats: {},
    });
    await expect(new AliasRepository(dynamo, config.tableName).get(team, 'chat')).rejects.toThrow(
      `Malformed alias item ${teamPk(team)}/${aliasSk('chat')}: variants: Invalid input: expected array`,
    );
  });

  it('Given a completion item without its model, when feedback is recorded, then the error names the completion', async () => {
    const team = newTeam();
    await put({
      pk: teamPk(team),
      sk: completionSk('cmpl-1'),
      team,
      id: 'cmpl-1',
      alias: null,
      aliasGeneration: null,
      createdAt: NOW,
      expiresAt: NOW + 3600,
    });
    const log = new CompletionLogRepository(dynamo, config.tableName, () => NOW);
    await expect(
      log.recordFeedback(team, 'cmpl-1', { score: 1, comment: null, createdAt: NOW }),
    ).rejects.toThrow(`Malformed completion item ${teamPk(team)}/${completionSk('cmpl-1')}: model:`);
  });
});

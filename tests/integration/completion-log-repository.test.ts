import { randomUUID } from 'node:crypto';
import { DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { AliasRepository } from '#aws/alias-repository.ts';
import { CompletionLogRepository, completionSk } from '#aws/completion-log-repository.ts';
import { teamPk } from '#aws/table-keys.ts';
import { COMPLETION_RETENTION_SECONDS } from '#core/inference/feedback.ts';
import type { ServedCompletion } from '#core/inference/ports.ts';
import { testClients, testConfig } from '#tests/test-clients.ts';

const config = testConfig();
const { dynamo } = testClients();
const aliases = new AliasRepository(dynamo, config.tableName);
const NOW = Math.floor(Date.now() / 1000);
const log = new CompletionLogRepository(dynamo, config.tableName, () => NOW);
const team = () => `t-${randomUUID().slice(0, 12)}`;
const A = 'attune-tiny';
const B = 'pt:attune-tiny:x::b';

async function served(
  t: string,
  alias: string | null,
  model = A,
  createdAt = NOW,
): Promise<ServedCompletion> {
  const aliasGeneration = alias === null ? null : ((await aliases.get(t, alias))?.generation ?? null);
  const entry = { team: t, id: `cmpl-${randomUUID()}`, model, alias, aliasGeneration, createdAt };
  await log.recordServed(entry);
  return entry;
}

const feedback = (score: number, comment: string | null = null) => ({ score, comment, createdAt: NOW });

describe('completion log repository (DynamoDB Local)', () => {
  it('Given a served completion, then it reads back and carries its expiry 30 days on', async () => {
    const t = team();
    const entry = await served(t, null);
    expect(await log.getServed(t, entry.id)).toEqual(entry);
    const raw = await dynamo.send(
      new GetCommand({ TableName: config.tableName, Key: { pk: teamPk(t), sk: completionSk(entry.id) } }),
    );
    expect(raw.Item?.expiresAt).toBe(NOW + COMPLETION_RETENTION_SECONDS);
    expect(COMPLETION_RETENTION_SECONDS).toBe(30 * 24 * 3600);
  });

  it('Given the table as the embedded stack creates it, then DynamoDB expires items by expiresAt', async () => {
    const ttl = await dynamo.send(new DescribeTimeToLiveCommand({ TableName: config.tableName }));
    expect(ttl.TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
  });

  it('Given a completion past its expiry but not yet swept, then it reads as absent and takes no feedback', async () => {
    const t = team();
    const old = await served(t, null, A, NOW - COMPLETION_RETENTION_SECONDS);
    expect(await log.getServed(t, old.id)).toBeUndefined();
    expect(await log.recordFeedback(t, old.id, feedback(1))).toEqual({ status: 'not_found' });
  });

  it("Given another team's completion, then it is absent for this team", async () => {
    const entry = await served(team(), null);
    expect(await log.getServed(team(), entry.id)).toBeUndefined();
    expect(await log.recordFeedback(team(), entry.id, feedback(1))).toEqual({ status: 'not_found' });
  });

  it('Given the same completion recorded twice, then its alias traffic counts once', async () => {
    const t = team();
    await aliases.put(t, 'ab', [{ model: A, weight: 1 }], NOW);
    const entry = await served(t, 'ab');
    await log.recordServed(entry);
    expect((await aliases.get(t, 'ab'))?.stats[0]?.served).toBe(1);
  });

  it('Given a completion served directly, when feedback is given, then it is recorded with its model and no alias', async () => {
    const t = team();
    const entry = await served(t, null, B);
    expect(await log.recordFeedback(t, entry.id, feedback(-1, 'off topic'))).toEqual({
      status: 'recorded',
      completion: entry,
    });
  });

  it('Given a completion with feedback, when feedback is given again, then it is a duplicate', async () => {
    const t = team();
    const entry = await served(t, null);
    await log.recordFeedback(t, entry.id, feedback(1));
    expect(await log.recordFeedback(t, entry.id, feedback(-1))).toEqual({ status: 'duplicate' });
  });

  it('Given racing feedback for one alias completion, then exactly one is recorded and counted', async () => {
    const t = team();
    await aliases.put(t, 'ab', [{ model: A, weight: 1 }], NOW);
    const entry = await served(t, 'ab');
    const outcomes = await Promise.all(
      [1, 0.5, -1, 0].map((s) => log.recordFeedback(t, entry.id, feedback(s))),
    );
    expect(outcomes.filter((o) => o.status === 'recorded')).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === 'duplicate')).toHaveLength(3);
    expect((await aliases.get(t, 'ab'))?.stats[0]?.feedbackCount).toBe(1);
  });

  it('Given feedback on many completions of an alias at once, then each variant has the exact count and sum', async () => {
    const t = team();
    await aliases.put(
      t,
      'ab',
      [
        { model: A, weight: 1 },
        { model: B, weight: 1 },
      ],
      NOW,
    );
    const entries = await Promise.all(Array.from({ length: 12 }, (_, i) => served(t, 'ab', i < 8 ? A : B)));
    const outcomes = await Promise.all(
      entries.map((e, i) => log.recordFeedback(t, e.id, feedback(i < 8 ? 0.25 : -0.5))),
    );
    expect(outcomes.every((o) => o.status === 'recorded')).toBe(true);
    const stats = (await aliases.get(t, 'ab'))?.stats;
    expect(stats).toEqual([
      { served: 8, feedbackCount: 8, feedbackSum: 2 },
      { served: 4, feedbackCount: 4, feedbackSum: -2 },
    ]);
  });

  it('Given an alias completion whose variant was removed since, then the feedback is still recorded', async () => {
    const t = team();
    await aliases.put(t, 'ab', [{ model: B, weight: 1 }], NOW);
    const entry = await served(t, 'ab', B);
    await aliases.put(t, 'ab', [{ model: A, weight: 1 }], NOW + 1);
    expect((await log.recordFeedback(t, entry.id, feedback(1))).status).toBe('recorded');
    expect((await aliases.get(t, 'ab'))?.stats).toEqual([{ served: 0, feedbackCount: 0, feedbackSum: 0 }]);
    expect(await log.recordFeedback(t, entry.id, feedback(1))).toEqual({ status: 'duplicate' });
  });

  it('Given an alias deleted and created again, when a completion of the old one gets feedback, then it is recorded but not counted on the new one', async () => {
    const t = team();
    await aliases.put(t, 'ab', [{ model: A, weight: 1 }], NOW);
    const entry = await served(t, 'ab', A);
    await aliases.delete(t, 'ab');
    await aliases.put(t, 'ab', [{ model: A, weight: 1 }], NOW + 1);
    expect((await log.recordFeedback(t, entry.id, feedback(1))).status).toBe('recorded');
    expect((await aliases.get(t, 'ab'))?.stats).toEqual([{ served: 0, feedbackCount: 0, feedbackSum: 0 }]);
  });
});

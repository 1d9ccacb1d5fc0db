import { describe, expect, it } from 'vitest';
import { RecentModelRecords } from '#core/inference/recent-model-records.ts';
import type { ModelRecord } from '#core/jobs/models.ts';

function record(team: string, id: string): ModelRecord {
  return {
    team,
    id,
    kind: 'pt',
    baseModel: 'attune-tiny',
    attachesTo: 'attune-tiny',
    jobId: 'ftjob-1',
    createdAt: 1,
    artifactPrefix: `teams/${team}/models/ftjob-1/`,
  };
}

/** A store that counts reads and can gain or lose records, over a clock the test moves. */
function fixture() {
  const rows = new Map<string, ModelRecord>();
  let reads = 0;
  let clock = 1_000;
  const store = {
    get: async (team: string, id: string) => {
      reads += 1;
      return rows.get(`${team}/${id}`);
    },
  };
  const recent = new RecentModelRecords(store, () => clock, 15_000, 2);
  return {
    recent,
    put: (r: ModelRecord) => rows.set(`${r.team}/${r.id}`, r),
    remove: (team: string, id: string) => rows.delete(`${team}/${id}`),
    reads: () => reads,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

describe('RecentModelRecords', () => {
  it('Given a found record, when it is asked again within the TTL, then the store is not read again', async () => {
    const f = fixture();
    f.put(record('red', 'pt:a'));
    await f.recent.get('red', 'pt:a');
    f.advance(14_999);
    expect(await f.recent.get('red', 'pt:a')).toMatchObject({ id: 'pt:a' });
    expect(f.reads()).toBe(1);
  });

  it('Given a deleted model, when the TTL has passed, then the lookup misses', async () => {
    const f = fixture();
    f.put(record('red', 'pt:a'));
    await f.recent.get('red', 'pt:a');
    f.remove('red', 'pt:a');
    f.advance(15_000);
    expect(await f.recent.get('red', 'pt:a')).toBeUndefined();
  });

  it('Given a miss, when the model is registered a moment later, then the next lookup finds it', async () => {
    const f = fixture();
    expect(await f.recent.get('red', 'pt:a')).toBeUndefined();
    f.put(record('red', 'pt:a'));
    expect(await f.recent.get('red', 'pt:a')).toMatchObject({ id: 'pt:a' });
  });

  it("Given one team's cached record, when another team asks for the same id, then the store answers for that team", async () => {
    const f = fixture();
    f.put(record('red', 'pt:a'));
    await f.recent.get('red', 'pt:a');
    expect(await f.recent.get('blue', 'pt:a')).toBeUndefined();
    expect(f.reads()).toBe(2);
  });

  it('Given the capacity is reached, when a new record is cached, then the oldest is dropped and read again later', async () => {
    const f = fixture();
    for (const id of ['pt:a', 'pt:b', 'pt:c']) f.put(record('red', id));
    await f.recent.get('red', 'pt:a');
    await f.recent.get('red', 'pt:b');
    await f.recent.get('red', 'pt:c');
    await f.recent.get('red', 'pt:b');
    expect(f.reads()).toBe(3);
    await f.recent.get('red', 'pt:a');
    expect(f.reads()).toBe(4);
  });
});

import { describe, expect, it } from 'vitest';
import {
  advance,
  canAdvance,
  isTerminal,
  JOB_STATUSES,
  type JobStatus,
  STATUS_RANK,
} from '#core/jobs/job-status.ts';
import { type Random, seededRandom } from '#tests/unit/jobs/seeded-random.ts';

type Outcome = 'succeeded' | 'failed';

/**
 * The statuses one run reports in the order they happen: Batch's SUBMITTED/PENDING/RUNNABLE/STARTING
 * (queued), RUNNING, and after a host termination RUNNABLE and RUNNING again, then its outcome.
 */
function runEvents(random: Random, outcome: Outcome): JobStatus[] {
  const events: JobStatus[] = ['queued', 'queued', 'queued', 'queued', 'running'];
  for (let retry = random.int(3); retry > 0; retry--) events.push('queued', 'queued', 'running');
  events.push(outcome);
  return events;
}

/** The same events as delivered: any order, some of them more than once. */
function delivered(random: Random, events: readonly JobStatus[]): JobStatus[] {
  const copies = events.flatMap((e) => Array.from({ length: 1 + random.int(3) }, () => e));
  return random.shuffle(copies);
}

function replay(events: readonly JobStatus[]): JobStatus[] {
  const seen: JobStatus[] = ['validating_files'];
  for (const e of events) seen.push(advance(seen[seen.length - 1] as JobStatus, e));
  return seen;
}

const CASES = 2000;

describe('job status ranks', () => {
  it('Given each status, then terminal statuses share the top rank and nothing else reaches it', () => {
    const terminal = JOB_STATUSES.filter(isTerminal);
    expect(terminal).toEqual(['succeeded', 'failed', 'cancelled']);
    for (const s of JOB_STATUSES) {
      expect(STATUS_RANK[s] === 3).toBe(isTerminal(s));
    }
  });

  it.each(JOB_STATUSES)(
    'Given a job in %s, when the same status is reported again, then it is refused',
    (s) => {
      expect(canAdvance(s, s)).toBe(false);
    },
  );

  it.each([
    ['queued', 'validating_files'],
    ['running', 'queued'],
    ['succeeded', 'running'],
    ['cancelled', 'succeeded'],
    ['failed', 'cancelled'],
    ['succeeded', 'failed'],
  ] as const)('Given a job in %s, when %s is reported, then it stays where it is', (from, to) => {
    expect(advance(from, to)).toBe(from);
  });

  it.each([
    ['validating_files', 'queued'],
    ['validating_files', 'running'],
    ['queued', 'cancelled'],
    ['running', 'succeeded'],
  ] as const)('Given a job in %s, when %s is reported, then it moves', (from, to) => {
    expect(advance(from, to)).toBe(to);
  });
});

describe('job state machine (property)', () => {
  it(`Given ${CASES} runs whose events arrive in any order and repeated, then each ends in its run's outcome and never goes backwards`, () => {
    const random = seededRandom(20261129);
    const failures: string[] = [];
    for (let c = 0; c < CASES; c++) {
      const outcome: Outcome = random.pick(['succeeded', 'failed'] as const);
      const seen = replay(delivered(random, runEvents(random, outcome)));
      const last = seen[seen.length - 1];
      const backwards = seen.some((s, i) => i > 0 && STATUS_RANK[s] < STATUS_RANK[seen[i - 1] as JobStatus]);
      if (last !== outcome || backwards)
        failures.push(`case ${c}: ${seen.join(' > ')} (expected ${outcome})`);
    }
    expect(failures).toEqual([]);
  });

  it(`Given ${CASES} runs cancelled at a random moment, then a cancel that lands before the outcome stays cancelled, and one after it changes nothing`, () => {
    const random = seededRandom(7);
    const failures: string[] = [];
    let cancelledFirst = 0;
    for (let c = 0; c < CASES; c++) {
      const outcome: Outcome = random.pick(['succeeded', 'failed'] as const);
      const events = delivered(random, runEvents(random, outcome));
      events.splice(random.int(events.length + 1), 0, 'cancelled');
      const first = events.find(isTerminal);
      const seen = replay(events);
      if (first === 'cancelled') cancelledFirst++;
      const stays = seen.slice(seen.indexOf(first ?? 'cancelled')).every((s) => s === first);
      if (seen[seen.length - 1] !== first || !stays) failures.push(`case ${c}: ${events.join(' ')}`);
    }
    expect(failures).toEqual([]);
    // Both branches of the property were exercised, not only one.
    expect(cancelledFirst).toBeGreaterThan(CASES / 10);
    expect(cancelledFirst).toBeLessThan(CASES);
  });

  it('Given the generator, when it is seeded twice alike, then it yields the same cases (a failure is reproducible)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    expect(Array.from({ length: 5 }, () => a.next())).toEqual(Array.from({ length: 5 }, () => b.next()));
  });
});

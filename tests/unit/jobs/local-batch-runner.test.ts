import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DispatchPlan } from '#core/jobs/dispatch.ts';
import type { BatchStateChangeEvent } from '#events/batch-status-event.ts';
import { AttemptJournal } from '#local/attempt-journal.ts';
import { LOST_HOST_REASON, LocalBatchRunner } from '#local/batch-runner.ts';
import { jobRecord } from '#tests/unit/jobs/job-fixtures.ts';

const plan: DispatchPlan = {
  queue: 'cpu',
  reason: 'small',
  instanceType: 'c7i.large',
  vcpus: 2,
  memoryMiB: 3686,
  gpus: 0,
  timeoutSeconds: 1800,
};

const runners: LocalBatchRunner[] = [];
afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.close()));
});

/** A runner whose "trainer" is a line of JavaScript, recording every event it sends. */
function runnerFor(script: string, options: { graceMs?: number } = {}) {
  const events: BatchStateChangeEvent[] = [];
  const runner = new LocalBatchRunner({
    command: [process.execPath, '-e', script],
    env: { TABLE_NAME: 'attune-table', BUCKET_NAME: 'attune-bucket' },
    graceMs: options.graceMs ?? 5000,
    onEvent: async (event) => {
      events.push(event);
    },
  });
  runners.push(runner);
  const statuses = (jobId?: string) =>
    events
      .filter((e) => jobId === undefined || e.detail.tags?.['attune:job'] === jobId)
      .map((e) => e.detail.status);
  return { runner, events, statuses };
}

/** A marker file the trainer script writes once its signal handlers are in place. */
function readyMarker(): { path: string; script: string; wait: () => Promise<void> } {
  const path = join(mkdtempSync(join(tmpdir(), 'attune-runner-')), 'ready');
  return {
    path,
    script: `require('node:fs').writeFileSync(${JSON.stringify(path)}, '')`,
    wait: async () => {
      while (!existsSync(path)) await new Promise((r) => setTimeout(r, 20));
    },
  };
}

const job = (n = 1) => jobRecord({ id: `ftjob-01jab00000000000000000000${n}` });

describe('LocalBatchRunner', () => {
  it('Given a trainer that succeeds, then it ran with the job environment and Batch events end in SUCCEEDED', async () => {
    const j = job();
    const { runner, events, statuses } = runnerFor(
      `const e = process.env; process.exit(e.ATTUNE_JOB_ID === '${j.id}' && e.ATTUNE_TEAM === 'sales' && e.TABLE_NAME === 'attune-table' && e.BUCKET_NAME === 'attune-bucket' && e.AWS_BATCH_JOB_ATTEMPT === '1' ? 0 : 3)`,
    );
    const { batchJobId } = await runner.submit(j, plan);
    await runner.idle();
    expect(statuses()).toEqual(['SUBMITTED', 'RUNNABLE', 'STARTING', 'RUNNING', 'SUCCEEDED']);
    expect(events[0]?.detail).toMatchObject({
      jobId: batchJobId,
      parameters: { attuneJobId: j.id, attuneTeam: 'sales' },
      tags: { 'attune:job': j.id, 'attune:team': 'sales' },
    });
  });

  it('Given a trainer that exits non-zero, then FAILED with its exit code and no retry', async () => {
    const { runner, events, statuses } = runnerFor('process.exit(2)');
    await runner.submit(job(), plan);
    await runner.idle();
    expect(statuses()).toEqual(['SUBMITTED', 'RUNNABLE', 'STARTING', 'RUNNING', 'FAILED']);
    expect(events.at(-1)?.detail).toMatchObject({
      statusReason: 'Essential container in task exited',
      container: { exitCode: 2 },
    });
  });

  it('Given a trainer killed with SIGKILL from outside, then it is retried as a lost host and the next attempt succeeds', async () => {
    const { runner, events, statuses } = runnerFor(
      "if (process.env.AWS_BATCH_JOB_ATTEMPT === '1') process.kill(process.pid, 'SIGKILL'); else process.exit(0)",
    );
    await runner.submit(job(), plan);
    await runner.idle();
    expect(statuses()).toEqual([
      'SUBMITTED',
      'RUNNABLE',
      'STARTING',
      'RUNNING',
      'RUNNABLE',
      'STARTING',
      'RUNNING',
      'SUCCEEDED',
    ]);
    expect(events[4]?.detail.statusReason).toBe(LOST_HOST_REASON);
  });

  it('Given a run retried after a lost host, then SUCCEEDED carries both attempts with their start and stop, as Batch does', async () => {
    const { runner, events } = runnerFor(
      "if (process.env.AWS_BATCH_JOB_ATTEMPT === '1') process.kill(process.pid, 'SIGKILL'); else setTimeout(() => process.exit(0), 100)",
    );
    const before = Date.now();
    await runner.submit(job(), plan);
    await runner.idle();
    const attempts = events.find((e) => e.detail.status === 'SUCCEEDED')?.detail.attempts ?? [];
    expect(attempts).toHaveLength(2);
    for (const a of attempts) {
      expect(a.startedAt).toBeGreaterThanOrEqual(before);
      expect(a.stoppedAt).toBeGreaterThanOrEqual(a.startedAt ?? Number.NaN);
    }
    expect((attempts[1]?.stoppedAt ?? 0) - (attempts[1]?.startedAt ?? 0)).toBeGreaterThanOrEqual(100);
  });

  it('Given a trainer lost on every attempt, then FAILED as a lost host after three attempts', async () => {
    const { runner, events, statuses } = runnerFor("process.kill(process.pid, 'SIGKILL')");
    await runner.submit(job(), plan);
    await runner.idle();
    expect(statuses().filter((s) => s === 'STARTING')).toHaveLength(3);
    expect(events.at(-1)?.detail).toMatchObject({ status: 'FAILED', statusReason: LOST_HOST_REASON });
  });

  it('Given concurrency 1, when two jobs are submitted, then the second starts only after the first finished', async () => {
    const { runner, events } = runnerFor('setTimeout(() => process.exit(0), 200)');
    const [a, b] = [job(1), job(2)];
    await runner.submit(a, plan);
    await runner.submit(b, plan);
    await runner.idle();
    const order = events.map(
      (e) => `${e.detail.tags?.['attune:job'] === a.id ? 'a' : 'b'}:${e.detail.status}`,
    );
    expect(order.indexOf('b:STARTING')).toBeGreaterThan(order.indexOf('a:SUCCEEDED'));
  });

  it('Given a waiting job, when cancelled, then it never starts and ends FAILED with the reason', async () => {
    const { runner, statuses, events } = runnerFor('setTimeout(() => process.exit(0), 200)');
    const [a, b] = [job(1), job(2)];
    await runner.submit(a, plan);
    const { batchJobId } = await runner.submit(b, plan);
    await runner.cancel({ team: 'sales', id: b.id, batchJobId, status: 'queued' }, 'Cancelled by the team');
    await runner.idle();
    expect(statuses(b.id)).toEqual(['SUBMITTED', 'RUNNABLE', 'FAILED']);
    expect(
      events.find((e) => e.detail.tags?.['attune:job'] === b.id && e.detail.status === 'FAILED')?.detail
        .statusReason,
    ).toBe('Cancelled by the team');
  });

  it('Given a running trainer, when cancelled, then SIGTERM stops it and the run ends FAILED with the reason, not retried', async () => {
    const ready = readyMarker();
    const { runner, statuses, events } = runnerFor(`${ready.script}; setInterval(() => {}, 1000)`);
    const j = job();
    const { batchJobId } = await runner.submit(j, plan);
    await ready.wait();
    await runner.cancel({ team: 'sales', id: j.id, batchJobId, status: 'running' }, 'Cancelled by the team');
    await runner.idle();
    expect(statuses()).toEqual(['SUBMITTED', 'RUNNABLE', 'STARTING', 'RUNNING', 'FAILED']);
    expect(events.at(-1)?.detail).toMatchObject({
      statusReason: 'Cancelled by the team',
      container: { reason: 'killed by SIGTERM' },
    });
  });

  it('Given a trainer that ignores SIGTERM, when cancelled, then SIGKILL follows after the grace period', async () => {
    const ready = readyMarker();
    const { runner, events } = runnerFor(
      `process.on('SIGTERM', () => {}); ${ready.script}; setInterval(() => {}, 1000)`,
      {
        graceMs: 200,
      },
    );
    const j = job();
    const { batchJobId } = await runner.submit(j, plan);
    await ready.wait();
    await runner.cancel({ team: 'sales', id: j.id, batchJobId, status: 'running' }, 'Cancelled by the team');
    await runner.idle();
    expect(events.at(-1)?.detail).toMatchObject({
      status: 'FAILED',
      container: { reason: 'killed by SIGKILL' },
    });
  });
});

describe('LocalBatchRunner.close', () => {
  it('Given a running trainer, when the runner shuts down, then the trainer gets SIGTERM and its job is left unfinished for resume', async () => {
    const ready = readyMarker();
    const stopped = join(mkdtempSync(join(tmpdir(), 'attune-runner-')), 'stopped');
    const { runner, statuses } = runnerFor(
      `process.on('SIGTERM', () => { require('node:fs').writeFileSync(${JSON.stringify(stopped)}, ''); process.exit(143); }); ${ready.script}; setInterval(() => {}, 1000)`,
    );
    await runner.submit(job(), plan);
    await ready.wait();
    await runner.close();
    expect(existsSync(stopped)).toBe(true);
    expect(statuses()).toEqual(['SUBMITTED', 'RUNNABLE', 'STARTING', 'RUNNING']);
  });
});

describe('LocalBatchRunner.resume', () => {
  it('Given unfinished jobs from before a restart, then each runs again under its own Batch job id; finished ones do not', async () => {
    const { runner, events } = runnerFor('process.exit(0)');
    const queued = jobRecord({
      id: 'ftjob-01jab000000000000000000001',
      status: 'queued',
      batchJobId: 'local-a',
    });
    const running = jobRecord({
      id: 'ftjob-01jab000000000000000000002',
      status: 'running',
      batchJobId: 'local-b',
    });
    const done = jobRecord({
      id: 'ftjob-01jab000000000000000000003',
      status: 'succeeded',
      batchJobId: 'local-c',
    });
    runner.resume([queued, running, done]);
    await runner.idle();
    const succeeded = events.filter((e) => e.detail.status === 'SUCCEEDED').map((e) => e.detail.jobId);
    expect(succeeded.sort()).toEqual(['local-a', 'local-b']);
    expect(events.filter((e) => e.detail.jobId === 'local-a').map((e) => e.detail.status)).toEqual([
      'RUNNABLE',
      'STARTING',
      'RUNNING',
      'SUCCEEDED',
    ]);
  });

  it('Given a resumed job, when delivered() resolves, then its SUBMITTED and RUNNABLE events are handled while it may still run', async () => {
    const { runner, statuses } = runnerFor('setTimeout(() => process.exit(0), 300)');
    runner.resume([jobRecord({ status: 'validating_files', batchJobId: null })]);
    await runner.delivered();
    expect(statuses().slice(0, 2)).toEqual(['SUBMITTED', 'RUNNABLE']);
    expect(statuses()).not.toContain('SUCCEEDED');
    await runner.idle();
  });

  it('Given a job created but never dispatched, then it is submitted with a new Batch job id', async () => {
    const { runner, events } = runnerFor('process.exit(0)');
    runner.resume([jobRecord({ status: 'validating_files', batchJobId: null })]);
    await runner.idle();
    expect(events.map((e) => e.detail.status)).toEqual([
      'SUBMITTED',
      'RUNNABLE',
      'STARTING',
      'RUNNING',
      'SUCCEEDED',
    ]);
    expect(events[0]?.detail.jobId).toMatch(/^local-/);
  });
});

describe('LocalBatchRunner with an attempt journal', () => {
  const journalFile = () => join(mkdtempSync(join(tmpdir(), 'attune-journal-')), 'batch-attempts.json');

  function journaledRunner(script: string, file: string) {
    const events: BatchStateChangeEvent[] = [];
    const runner = new LocalBatchRunner({
      command: [process.execPath, '-e', script],
      env: {},
      graceMs: 5000,
      journal: new AttemptJournal(file),
      heartbeatMs: 50,
      onEvent: async (event) => {
        events.push(event);
      },
    });
    runners.push(runner);
    return { runner, events };
  }

  it('Given a run cut short by a shutdown, when a new runner resumes the job, then its terminal event carries both attempts', async () => {
    const file = journalFile();
    const ready = readyMarker();
    const first = journaledRunner(
      `process.on('SIGTERM', () => process.exit(143)); ${ready.script}; setInterval(() => {}, 1000)`,
      file,
    );
    const j = jobRecord({ status: 'running', batchJobId: 'local-journaled' });
    first.runner.resume([j]);
    await ready.wait();
    await first.runner.close();

    const second = journaledRunner('setTimeout(() => process.exit(0), 50)', file);
    second.runner.resume([j]);
    await second.runner.idle();
    const succeeded = second.events.find((e) => e.detail.status === 'SUCCEEDED');
    const attempts = succeeded?.detail.attempts ?? [];
    expect(attempts).toHaveLength(2);
    for (const a of attempts) expect(a.stoppedAt).toBeGreaterThanOrEqual(a.startedAt as number);
    expect(attempts[1]?.startedAt).toBeGreaterThanOrEqual(attempts[0]?.stoppedAt as number);
  });

  it('Given a job that finished, then the journal forgets it', async () => {
    const file = journalFile();
    const { runner } = journaledRunner('process.exit(0)', file);
    runner.resume([jobRecord({ status: 'queued', batchJobId: 'local-done' })]);
    await runner.idle();
    expect(new AttemptJournal(file).read('local-done')).toEqual([]);
  });

  it('Given a running attempt, then the journal holds it with a last-seen time that heartbeats move on', async () => {
    const file = journalFile();
    const ready = readyMarker();
    const { runner } = journaledRunner(`${ready.script}; setInterval(() => {}, 1000)`, file);
    runner.resume([jobRecord({ status: 'queued', batchJobId: 'local-alive' })]);
    await ready.wait();
    const seen = () => new AttemptJournal(file).read('local-alive')[0]?.stoppedAt ?? 0;
    const before = seen();
    expect(before).toBeGreaterThan(0);
    const deadline = Date.now() + 10_000;
    while (seen() <= before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(seen()).toBeGreaterThan(before);
  });

  it('Given a corrupt journal file, then the runner starts with no earlier attempts', async () => {
    const file = journalFile();
    writeFileSync(file, '{not json');
    expect(new AttemptJournal(file).read('local-any')).toEqual([]);
  });
});

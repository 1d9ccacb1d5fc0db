import { describe, expect, it } from 'vitest';
import type { JobEventRecord } from '#core/jobs/job-events.ts';
import type { JobProgress } from '#core/jobs/ports.ts';
import type { StepMetrics } from '#model/metrics.ts';
import { MetricsReporter } from '#trainer/metrics-reporter.ts';

function recordingStore() {
  const events: JobEventRecord[] = [];
  const progress: JobProgress[] = [];
  return {
    events,
    progress,
    addEvent: async (_team: string, event: JobEventRecord) => {
      events.push(event);
    },
    recordProgress: async (_team: string, _id: string, p: JobProgress) => {
      progress.push(p);
      return true;
    },
  };
}

const step = (n: number, extra: Partial<StepMetrics> = {}): StepMetrics => ({
  step: n,
  totalSteps: 10,
  epoch: 0,
  trainLoss: 2 - n / 10,
  learningRate: 1e-3,
  gradNorm: 1,
  trainedTokens: n * 100,
  tokensPerSecond: 500,
  elapsedSeconds: n,
  ...extra,
});

describe('MetricsReporter', () => {
  it('Given steps faster than the interval, when reported, then at most one event per interval is written', async () => {
    const store = recordingStore();
    let now = 1_000_000;
    const reporter = new MetricsReporter(store, 'team-a', 'ftjob-a', 5000, () => now);
    for (let n = 1; n <= 6; n++) {
      await reporter.onStep(step(n));
      now += 1000;
    }
    expect(store.events.map((e) => e.data?.step)).toEqual([1, 6]);
    expect(store.events.every((e) => e.type === 'metrics' && e.jobId === 'ftjob-a')).toBe(true);
  });

  it('Given the last step inside the interval, when reported, then it is written anyway', async () => {
    const store = recordingStore();
    const reporter = new MetricsReporter(store, 'team-a', 'ftjob-a', 60_000, () => 5_000);
    await reporter.onStep(step(9));
    await reporter.onStep(step(10));
    expect(store.events.map((e) => e.data?.step)).toEqual([9, 10]);
  });

  it('Given a validation on an unreported step, when the next report is written, then it carries that validation loss', async () => {
    const store = recordingStore();
    let now = 0;
    const reporter = new MetricsReporter(store, 'team-a', 'ftjob-a', 1000, () => now);
    await reporter.onStep(step(1));
    await reporter.onStep(step(2, { validLoss: 1.5, validTokenAccuracy: 0.25 }));
    now = 2000;
    await reporter.onStep(step(3));
    expect(store.events[1]?.data).toMatchObject({
      step: 3,
      valid_loss: 1.5,
      valid_mean_token_accuracy: 0.25,
    });
    expect(reporter.validation).toEqual({ valid_loss: 1.5, valid_mean_token_accuracy: 0.25 });
  });

  it('Given a resumed run, when progress is recorded, then the finish estimate uses only the steps of this process', async () => {
    const store = recordingStore();
    const reporter = new MetricsReporter(store, 'team-a', 'ftjob-a', 0, () => 100_000);
    // Resumed after step 5: step 6 is this process's first, 2 s in; 4 steps left at 2 s each.
    await reporter.onStep(step(6, { elapsedSeconds: 2 }));
    expect(store.progress).toEqual([{ trainedTokens: 600, estimatedFinish: 100 + 8 }]);
  });

  it('Given a logger, when a step is reported, then it logs one metrics line with the event and the figures as keys', async () => {
    const logged: [string, Record<string, unknown>][] = [];
    const logger = {
      info: (message: string, extra: Record<string, unknown>) => void logged.push([message, extra]),
    };
    const reporter = new MetricsReporter(
      recordingStore(),
      'team-a',
      'ftjob-a',
      0,
      () => 100_000,
      logger as never,
    );

    await reporter.onStep(step(4));

    expect(logged).toEqual([
      [
        'Step 4/10',
        expect.objectContaining({ event: 'metrics', step: 4, total_steps: 10, trained_tokens: 400 }),
      ],
    ]);
  });
});

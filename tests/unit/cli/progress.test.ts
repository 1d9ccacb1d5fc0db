import { describe, expect, it } from 'vitest';
import { formatDuration, progressLine, progressReporter } from '#local/progress.ts';
import type { StepMetrics } from '#model/metrics.ts';

const metrics = (step: number, extra: Partial<StepMetrics> = {}): StepMetrics => ({
  step,
  totalSteps: 10,
  epoch: 0,
  trainLoss: 2.5,
  learningRate: 1e-3,
  gradNorm: 1,
  trainedTokens: step * 100,
  tokensPerSecond: 1234.4,
  elapsedSeconds: step * 2,
  ...extra,
});

/** A stream stand-in that records what is written and says whether it is a terminal. */
function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; written: string[] } {
  const written: string[] = [];
  const stream = { isTTY, write: (s: string) => written.push(s) > 0 } as unknown as NodeJS.WriteStream;
  return { stream, written };
}

describe('formatDuration', () => {
  it('given seconds, minutes or hours, when formatted, then it uses the two largest units', () => {
    expect(formatDuration(12.4)).toBe('12s');
    expect(formatDuration(187)).toBe('3m07s');
    expect(formatDuration(3720)).toBe('1h02m');
  });

  it('given no estimate yet, when formatted, then it shows a question mark', () => {
    expect(formatDuration(Number.NaN)).toBe('?');
  });
});

describe('progressLine', () => {
  it('given a step half way, when drawn, then it shows the bar, step, loss, throughput and ETA', () => {
    expect(progressLine(metrics(5), 10, undefined, 10)).toBe(
      '[#####.....] step 5/10 loss 2.500 1234 tok/s ETA 10s',
    );
  });

  it('given a validation loss, when drawn, then it follows the train loss', () => {
    expect(progressLine(metrics(5), 10, 2.25, 10)).toContain('loss 2.500 valid 2.250 1234 tok/s');
  });
});

describe('progressReporter', () => {
  it('given a resumed run, when it reports, then the ETA extrapolates from the steps of this process only', () => {
    const { stream, written } = fakeStream(false);
    const reporter = progressReporter({ stream, everySeconds: 0, now: () => 0 });
    reporter.update(metrics(6, { elapsedSeconds: 2 }));
    reporter.update(metrics(7, { elapsedSeconds: 4 }));
    // Two steps in 4 s here: 2 s a step, 3 steps left.
    expect(written.at(-1)).toContain('ETA 6s');
  });

  it('given a log file, when steps come quickly, then it writes a line only every few seconds and at the end', () => {
    const { stream, written } = fakeStream(false);
    let now = 0;
    const reporter = progressReporter({ stream, everySeconds: 10, now: () => now });
    for (let step = 1; step <= 10; step++) {
      now = step * 1000;
      reporter.update(metrics(step));
    }
    expect(written).toHaveLength(2);
    expect(written[1]).toContain('step 10/10');
  });

  it('given a terminal, when it reports, then it redraws one line in place and ends it on finish', () => {
    const { stream, written } = fakeStream(true);
    const reporter = progressReporter({ stream });
    reporter.update(metrics(1));
    reporter.update(metrics(2));
    reporter.finish();
    expect(written.slice(0, 2).every((s) => s.startsWith('\r') && !s.endsWith('\n'))).toBe(true);
    expect(written[2]).toBe('\n');
  });
});

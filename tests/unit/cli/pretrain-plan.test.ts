import { describe, expect, it } from 'vitest';
import { UsageError } from '#local/cli-args.ts';
import { planSteps, windowsOf } from '#local/pretrain-data.ts';

describe('planSteps', () => {
  it('given a token budget, when planned, then it rounds up to whole steps', () => {
    expect(planSteps({ tokens: 1001, tokensPerStep: 100, validationTokens: 0 })).toBe(11);
  });

  it('given a time budget, when planned, then steps fill 90% of the time left after validation and saving', () => {
    // 1000 s left: 900 usable, minus 5 validations of 1000 tokens at half speed (2.5 s) and 10 s to save.
    const steps = planSteps({
      tokensPerSecond: 1000,
      deadline: 1_000_000,
      now: 0,
      tokensPerStep: 1000,
      validationTokens: 1000,
    });
    expect(steps).toBe(887);
  });

  it('given a time budget too short for one step, when planned, then it says how long a step takes', () => {
    const plan = () =>
      planSteps({ tokensPerSecond: 10, deadline: 5000, now: 0, tokensPerStep: 1000, validationTokens: 0 });
    expect(plan).toThrow(UsageError);
    expect(plan).toThrow('one step takes about 100.0s here');
  });
});

describe('windowsOf', () => {
  it('given a stream, when cut, then windows are consecutive and a lone last token is dropped', () => {
    const windows = windowsOf(Int32Array.from([1, 2, 3, 4, 5, 6, 7]), 3);
    expect(windows.map((w) => w.inputIds)).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(windows.every((w) => w.lossMask.every((m) => m === 1))).toBe(true);
  });
});

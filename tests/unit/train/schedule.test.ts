import { describe, expect, it } from 'vitest';
import { defaultWarmupSteps, type LearningRateSchedule, learningRateAt } from '#model/schedule.ts';

const cosine: LearningRateSchedule = {
  peak: 1,
  warmupSteps: 4,
  totalSteps: 14,
  decay: 'cosine',
  floorRatio: 0.1,
};

describe('learningRateAt', () => {
  it('given warm-up, when stepping through it, then the rate rises linearly to the peak', () => {
    expect([0, 1, 2, 3].map((s) => learningRateAt(cosine, s))).toEqual([0.25, 0.5, 0.75, 1]);
  });

  it('given cosine decay, when at the first and last decay steps, then it is at the peak and then the floor', () => {
    expect(learningRateAt(cosine, 4)).toBe(1);
    expect(learningRateAt(cosine, 13)).toBeCloseTo(0.1, 12);
  });

  it('given cosine decay, when half-way through the decay, then it is half-way between peak and floor', () => {
    const schedule = { ...cosine, totalSteps: 4 + 11 };
    expect(learningRateAt(schedule, 4 + 5)).toBeCloseTo(0.55, 12);
  });

  it('given linear decay, when a third of the way through, then it has lost a third of the span', () => {
    const linear: LearningRateSchedule = {
      ...cosine,
      warmupSteps: 0,
      totalSteps: 4,
      decay: 'linear',
      floorRatio: 0,
    };
    [1, 2 / 3, 1 / 3, 0].forEach((expected, step) => {
      expect(learningRateAt(linear, step)).toBeCloseTo(expected, 12);
    });
  });

  it('given a warm-up longer than the run, when evaluated, then it throws a RangeError', () => {
    expect(() => learningRateAt({ ...cosine, warmupSteps: 20 }, 0)).toThrow(RangeError);
  });

  it('given a non-positive peak or a floor above 1, when evaluated, then it throws a RangeError', () => {
    expect(() => learningRateAt({ ...cosine, peak: 0 }, 0)).toThrow(/peak 0/);
    expect(() => learningRateAt({ ...cosine, floorRatio: 2 }, 0)).toThrow(/floorRatio 2/);
  });

  it('given a negative or fractional step, when evaluated, then it throws a RangeError', () => {
    expect(() => learningRateAt(cosine, -1)).toThrow(/invalid step/);
    expect(() => learningRateAt(cosine, 1.5)).toThrow(/invalid step/);
  });
});

describe('defaultWarmupSteps', () => {
  it('given runs of various lengths, when sized, then it is 5% clamped to [1, 100]', () => {
    expect([1, 10, 200, 10_000].map(defaultWarmupSteps)).toEqual([1, 1, 10, 100]);
  });
});

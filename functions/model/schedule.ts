/**
 * Learning-rate schedule: linear warm-up from 0, then cosine or linear decay to a floor.
 *
 * Warm-up keeps Adam's first steps (whose second-moment estimate is still noise) from throwing the
 * weights or the soft prompt far from a good start; decay lets the last epoch settle instead of
 * bouncing around a minimum at the peak rate.
 */

export type DecayShape = 'cosine' | 'linear';

export interface LearningRateSchedule {
  /** The peak learning rate, reached at the end of warm-up. */
  readonly peak: number;
  /** Optimiser steps of linear warm-up (0 for none). */
  readonly warmupSteps: number;
  /** All optimiser steps of the run; the schedule reaches its floor at the last one. */
  readonly totalSteps: number;
  readonly decay: DecayShape;
  /** The floor as a fraction of `peak` (0.1 leaves a tenth of the peak at the end). */
  readonly floorRatio: number;
}

/** Warm-up of 5% of the run, at least one step and at most 100: short runs still get one. */
export function defaultWarmupSteps(totalSteps: number): number {
  return Math.min(100, Math.max(1, Math.round(totalSteps * 0.05)));
}

/**
 * The learning rate for optimiser step `step` (0-based). Rejects a schedule that cannot be evaluated
 * (negative steps, warm-up longer than the run), so a bad job fails at start rather than training at NaN.
 */
export function learningRateAt(schedule: LearningRateSchedule, step: number): number {
  const { peak, warmupSteps, totalSteps, decay, floorRatio } = schedule;
  if (!(totalSteps >= 1) || !(warmupSteps >= 0) || warmupSteps > totalSteps) {
    throw new RangeError(`invalid schedule: warmupSteps ${warmupSteps}, totalSteps ${totalSteps}`);
  }
  if (!(peak > 0) || !(floorRatio >= 0 && floorRatio <= 1)) {
    throw new RangeError(`invalid schedule: peak ${peak}, floorRatio ${floorRatio}`);
  }
  if (!Number.isInteger(step) || step < 0) throw new RangeError(`invalid step ${step}`);
  if (step < warmupSteps) return (peak * (step + 1)) / warmupSteps;
  const decaySteps = totalSteps - warmupSteps;
  const progress = decaySteps <= 1 ? 1 : Math.min(1, (step - warmupSteps) / (decaySteps - 1));
  const shape = decay === 'cosine' ? 0.5 * (1 + Math.cos(Math.PI * progress)) : 1 - progress;
  return peak * (floorRatio + (1 - floorRatio) * shape);
}

/**
 * What training reports, per step and at the end: the figures the trainer turns into job events
 * (OpenAI's `step`, `train_loss`, `valid_loss`, `train_mean_token_accuracy`...) and into the measured
 * throughput that feeds the cost model.
 */

/** One optimiser step, as `onStep` receives it. */
export interface StepMetrics {
  /** 1-based count of optimiser steps done, including those before a resume. */
  readonly step: number;
  readonly totalSteps: number;
  /** 0-based epoch the step belongs to. */
  readonly epoch: number;
  /** Mean masked cross-entropy of this step's batch (nats/token). */
  readonly trainLoss: number;
  readonly learningRate: number;
  /** Global gradient norm before clipping. */
  readonly gradNorm: number;
  /** Real (non-padding) input tokens processed so far, including those before a resume. */
  readonly trainedTokens: number;
  /** Tokens per second of training steps in this process (validation time excluded). */
  readonly tokensPerSecond: number;
  /** Seconds spent in this process so far, validation included. */
  readonly elapsedSeconds: number;
  /** Present on the steps where validation ran. */
  readonly validLoss?: number;
  readonly validTokenAccuracy?: number;
}

/** The outcome of a run (or of the part of it that ran before an abort). */
export interface TrainingMetrics {
  readonly steps: number;
  readonly trainedTokens: number;
  readonly tokensPerSecond: number;
  readonly elapsedSeconds: number;
  /** Mean train loss over the last (up to) {@link RECENT_STEPS} steps: one batch alone is too noisy. */
  readonly trainLoss: number | null;
  /** Loss and greedy token accuracy on the validation examples; null when there were none. */
  readonly validLoss: number | null;
  readonly validTokenAccuracy: number | null;
  /** Examples cut to fit the context window (their tail was dropped). */
  readonly truncatedExamples: number;
}

/** How many recent steps the final train loss averages over. */
export const RECENT_STEPS = 10;

/** Tokens over the seconds spent training them: the throughput the cost model is fed with. */
export class ThroughputMeter {
  private tokens = 0;
  private seconds = 0;

  /** Adds one step's tokens and its duration in seconds. */
  record(tokens: number, seconds: number): void {
    this.tokens += tokens;
    this.seconds += seconds;
  }

  get tokensPerSecond(): number {
    return this.seconds > 0 ? this.tokens / this.seconds : 0;
  }
}

/** Mean of the last `size` values pushed. */
export class RecentMean {
  private readonly values: number[] = [];

  constructor(private readonly size: number = RECENT_STEPS) {}

  push(value: number): void {
    this.values.push(value);
    if (this.values.length > this.size) this.values.shift();
  }

  get mean(): number | null {
    if (this.values.length === 0) return null;
    return this.values.reduce((a, b) => a + b, 0) / this.values.length;
  }
}

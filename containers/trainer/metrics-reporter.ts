import { newEventId } from '#core/jobs/job-lifecycle.ts';
import type { JobStore } from '#core/jobs/ports.ts';
import type { StepMetrics } from '#model/metrics.ts';
import type { TrainerLog } from '#trainer/logger.ts';

/**
 * Turns the training loop's per-step figures into job events (`type: 'metrics'`, OpenAI's names) and
 * progress (trained tokens, estimated finish) at a bounded rate: a step can take milliseconds, and a
 * write per step would cost more than the step and flood the job's event list.
 */
export class MetricsReporter {
  private lastReportAt = Number.NEGATIVE_INFINITY;
  private lastValidLoss: number | undefined;
  private lastValidAccuracy: number | undefined;
  /** The step this process started after (non-zero after a resume), for the finish estimate. */
  private startStep: number | undefined;
  /** Metrics events written by this process. */
  reported = 0;

  constructor(
    private readonly jobs: Pick<JobStore, 'addEvent' | 'recordProgress'>,
    private readonly team: string,
    private readonly jobId: string,
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
    private readonly logger?: Pick<TrainerLog, 'info'>,
  ) {}

  /** Reports `m` if the interval has passed since the last report, or if it is the last step. */
  async onStep(m: StepMetrics): Promise<void> {
    this.startStep ??= m.step - 1;
    if (m.validLoss !== undefined) this.lastValidLoss = m.validLoss;
    if (m.validTokenAccuracy !== undefined) this.lastValidAccuracy = m.validTokenAccuracy;
    const now = this.now();
    if (now - this.lastReportAt < this.intervalMs && m.step < m.totalSteps) return;
    this.lastReportAt = now;
    const data = {
      step: m.step,
      total_steps: m.totalSteps,
      epoch: m.epoch,
      train_loss: m.trainLoss,
      ...(this.lastValidLoss === undefined ? {} : { valid_loss: this.lastValidLoss }),
      ...(this.lastValidAccuracy === undefined ? {} : { valid_mean_token_accuracy: this.lastValidAccuracy }),
      learning_rate: m.learningRate,
      tokens_per_second: m.tokensPerSecond,
      trained_tokens: m.trainedTokens,
      elapsed_seconds: m.elapsedSeconds,
    };
    this.logger?.info(`Step ${m.step}/${m.totalSteps}`, { event: 'metrics', ...data });
    await this.jobs.addEvent(this.team, {
      id: newEventId(now),
      jobId: this.jobId,
      createdAt: Math.floor(now / 1000),
      level: 'info',
      message: `Step ${m.step}/${m.totalSteps}: training loss=${m.trainLoss.toFixed(4)}`,
      type: 'metrics',
      data,
    });
    this.reported += 1;
    const stepsLeft = m.totalSteps - m.step;
    const stepsHere = m.step - (this.startStep ?? 0);
    const secondsPerStep = stepsHere > 0 ? m.elapsedSeconds / stepsHere : 0;
    await this.jobs.recordProgress(this.team, this.jobId, {
      trainedTokens: m.trainedTokens,
      estimatedFinish: Math.round(now / 1000 + stepsLeft * secondsPerStep),
    });
  }

  /** The latest validation figures seen, for a checkpoint's metrics. */
  get validation(): { valid_loss?: number; valid_mean_token_accuracy?: number } {
    return {
      ...(this.lastValidLoss === undefined ? {} : { valid_loss: this.lastValidLoss }),
      ...(this.lastValidAccuracy === undefined ? {} : { valid_mean_token_accuracy: this.lastValidAccuracy }),
    };
  }
}

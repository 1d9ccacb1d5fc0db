import type { StepMetrics } from '#model/metrics.ts';

/**
 * The progress bar the local training commands draw on stderr (stdout stays clean for their JSON result).
 * On a terminal it redraws one line in place; in a log file it writes a line at most every few seconds,
 * so a long background run leaves a readable log rather than thousands of lines.
 */

/** `1h02m`, `3m07s`, `12s`; `?` before there is anything to extrapolate from. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/**
 * One line of progress: bar, step, train loss (and validation loss when it was measured), tokens/s and
 * the time left. `etaSeconds` is given by the caller, who knows how many steps this process has run.
 */
export function progressLine(m: StepMetrics, etaSeconds: number, validLoss?: number, width = 24): string {
  const fraction = m.totalSteps > 0 ? Math.min(1, m.step / m.totalSteps) : 1;
  const done = Math.round(fraction * width);
  const bar = `${'#'.repeat(done)}${'.'.repeat(width - done)}`;
  const valid = validLoss === undefined ? '' : ` valid ${validLoss.toFixed(3)}`;
  return (
    `[${bar}] step ${m.step}/${m.totalSteps} loss ${m.trainLoss.toFixed(3)}${valid} ` +
    `${Math.round(m.tokensPerSecond)} tok/s ETA ${formatDuration(etaSeconds)}`
  );
}

export interface ProgressReporter {
  /** Call with every step's metrics. */
  update(m: StepMetrics): void;
  /** Ends the in-place line (terminal) so later output starts on a fresh line. */
  finish(): void;
}

export interface ProgressOptions {
  readonly stream?: NodeJS.WriteStream;
  /** Seconds between lines when the stream is not a terminal. */
  readonly everySeconds?: number;
  readonly now?: () => number;
}

/**
 * A reporter that extrapolates the time left from the steps run by this process only (a resumed run
 * starts at a later step, and its first steps must not look instantaneous), and remembers the last
 * validation loss so it stays on the line between validations.
 */
export function progressReporter(options: ProgressOptions = {}): ProgressReporter {
  const stream = options.stream ?? process.stderr;
  const tty = stream.isTTY === true;
  const everyMs = (options.everySeconds ?? 10) * 1000;
  const now = options.now ?? Date.now;
  let firstStep: number | undefined;
  let lastLine = Number.NEGATIVE_INFINITY;
  let validLoss: number | undefined;
  let drawn = false;
  return {
    update(m) {
      firstStep ??= m.step;
      if (m.validLoss !== undefined) validLoss = m.validLoss;
      const stepsHere = m.step - firstStep + 1;
      const eta = (m.elapsedSeconds / stepsHere) * (m.totalSteps - m.step);
      const line = progressLine(m, eta, validLoss);
      if (tty) {
        stream.write(`\r${line}`);
        drawn = true;
        return;
      }
      const t = now();
      if (t - lastLine >= everyMs || m.step === m.totalSteps || m.validLoss !== undefined) {
        stream.write(`${line}\n`);
        lastLine = t;
      }
    },
    finish() {
      if (tty && drawn) stream.write('\n');
      drawn = false;
    },
  };
}

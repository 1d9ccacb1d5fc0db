import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTrainerLogger, lineLog, TRAINER_SERVICE_NAME, type TrainerLog } from '#trainer/logger.ts';

/** Runs `write` with stdout and stderr captured; returns the lines each received. */
function captured(write: () => void): { stdout: string[]; stderr: string[] } {
  const out = { stdout: [] as string[], stderr: [] as string[] };
  const spy = (stream: 'stdout' | 'stderr') =>
    vi.spyOn(process[stream], 'write').mockImplementation((chunk: string | Uint8Array) => {
      out[stream].push(String(chunk));
      return true;
    });
  const spies = [spy('stdout'), spy('stderr')];
  try {
    write();
  } finally {
    for (const s of spies) s.mockRestore();
  }
  return out;
}

const parsed = (lines: readonly string[]) => lines.map((line) => JSON.parse(line) as Record<string, unknown>);

/** A logger double that records what each level received. */
function recorder(): TrainerLog & { calls: [string, string, unknown][] } {
  const calls: [string, string, unknown][] = [];
  const at =
    (level: string) =>
    (message: string, extra?: unknown): void =>
      void calls.push([level, message, extra]);
  return { calls, info: at('info'), warn: at('warn'), error: at('error') } as never;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('createTrainerLogger', () => {
  it('Given an info line with keys, when logged, then one JSON line on stderr carries the message, the service and the keys', () => {
    const logger = createTrainerLogger();

    const { stdout, stderr } = captured(() => logger.info('Step 3/9', { event: 'metrics', step: 3 }));

    expect(stdout).toEqual([]);
    expect(stderr).toHaveLength(1);
    expect(stderr[0]?.endsWith('\n')).toBe(true);
    expect(parsed(stderr)[0]).toMatchObject({
      level: 'INFO',
      message: 'Step 3/9',
      service: TRAINER_SERVICE_NAME,
      event: 'metrics',
      step: 3,
    });
  });

  it('Given an error, when logged at error level, then stderr gets its name and message as JSON', () => {
    const logger = createTrainerLogger();

    const { stderr } = captured(() =>
      logger.error('Training failed: bad', { event: 'failed', error: new RangeError('bad') }),
    );

    expect(parsed(stderr)[0]).toMatchObject({
      level: 'ERROR',
      event: 'failed',
      error: { name: 'RangeError', message: 'bad' },
    });
  });

  it('Given a child logger, when it logs a warning, then it writes to stderr too', () => {
    const child = createTrainerLogger().createChild({ persistentKeys: { job: 'ftjob-a' } });

    const { stdout, stderr } = captured(() => child.warn('stopping', { event: 'sigterm' }));

    expect(stdout).toEqual([]);
    expect(parsed(stderr)[0]).toMatchObject({ level: 'WARN', job: 'ftjob-a', event: 'sigterm' });
  });
});

describe('lineLog', () => {
  it('Given a JSON object line with an event, when logged, then the event is the message and every key stays a key', () => {
    const logger = recorder();

    lineLog(logger)('{"event":"hyperparameters","n_epochs":3}');

    expect(logger.calls).toEqual([['info', 'hyperparameters', { event: 'hyperparameters', n_epochs: 3 }]]);
  });

  it('Given a JSON object line without an event, when logged, then its keys are kept under the message "model"', () => {
    const logger = recorder();

    lineLog(logger)('{"loss":1.5}');

    expect(logger.calls).toEqual([['info', 'model', { loss: 1.5 }]]);
  });

  it('Given a plain line, when logged, then the line is the message', () => {
    const logger = recorder();

    lineLog(logger)('attune: TF.js backend "wasm"');

    expect(logger.calls).toEqual([['info', 'attune: TF.js backend "wasm"', undefined]]);
  });

  it.each([
    ['not JSON', '{not json'],
    ['a JSON array', '[1,2]'],
    ['JSON null', 'null'],
  ])('Given %s, when logged, then the line is the message', (_name, line) => {
    const logger = recorder();

    lineLog(logger)(line);

    expect(logger.calls).toEqual([['info', line, undefined]]);
  });
});

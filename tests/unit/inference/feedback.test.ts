import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, ValidationError } from '#core/errors.ts';
import {
  type CompletionLog,
  type Feedback,
  type FeedbackOutcome,
  giveFeedback,
  validateFeedbackScore,
} from '#core/inference/feedback.ts';
import type { ServedCompletion } from '#core/inference/ports.ts';

const SERVED: ServedCompletion = {
  team: 'team-a',
  id: 'cmpl-1',
  model: 'pt:attune-tiny:team-a::abc',
  alias: 'chat',
  aliasGeneration: 'g1',
  createdAt: 100,
};

/** A log whose `recordFeedback` answers `outcome` and remembers what it was given. */
function logAnswering(outcome: FeedbackOutcome) {
  const calls: { team: string; id: string; feedback: Feedback }[] = [];
  const log: CompletionLog = {
    recordServed: async () => {},
    getServed: async () => undefined,
    recordFeedback: async (team, id, feedback) => {
      calls.push({ team, id, feedback });
      return outcome;
    },
  };
  return { log, calls };
}

const feedback = (score: number): Feedback => ({ score, comment: 'ok', createdAt: 200 });

describe('feedback score', () => {
  it.each([-1, -0.25, 0, 1])('Given the score %s, then it is accepted', (score) => {
    expect(() => validateFeedbackScore(score)).not.toThrow();
  });

  it.each([-1.01, 1.5, 5, Number.NaN, Number.NEGATIVE_INFINITY])(
    'Given the score %s, then 400 on score saying the range',
    (score) => {
      expect(() => validateFeedbackScore(score)).toThrow(ValidationError);
      expect(() => validateFeedbackScore(score)).toThrow(/from -1 \(bad\) to 1 \(good\)/);
    },
  );
});

describe('giving feedback', () => {
  it('Given a recorded outcome, then the feedback object names the model and alias served', async () => {
    const { log, calls } = logAnswering({ status: 'recorded', completion: SERVED });
    expect(await giveFeedback(log, 'team-a', 'cmpl-1', feedback(0.5))).toEqual({
      object: 'feedback',
      completion_id: 'cmpl-1',
      score: 0.5,
      comment: 'ok',
      model: SERVED.model,
      alias: 'chat',
      created: 200,
    });
    expect(calls).toEqual([{ team: 'team-a', id: 'cmpl-1', feedback: feedback(0.5) }]);
  });

  it('Given an out-of-range score, then 400 and nothing is written', async () => {
    const { log, calls } = logAnswering({ status: 'recorded', completion: SERVED });
    await expect(giveFeedback(log, 'team-a', 'cmpl-1', feedback(2))).rejects.toMatchObject({
      param: 'score',
    });
    expect(calls).toEqual([]);
  });

  it('Given an unknown completion, then 404 on completion_id', async () => {
    const { log } = logAnswering({ status: 'not_found' });
    const given = giveFeedback(log, 'team-a', 'cmpl-x', feedback(1));
    await expect(given).rejects.toBeInstanceOf(NotFoundError);
    await expect(given).rejects.toMatchObject({ param: 'completion_id', code: 'completion_not_found' });
  });

  it('Given a completion that already has feedback, then 409', async () => {
    const { log } = logAnswering({ status: 'duplicate' });
    const given = giveFeedback(log, 'team-a', 'cmpl-1', feedback(1));
    await expect(given).rejects.toBeInstanceOf(ConflictError);
    await expect(given).rejects.toMatchObject({ code: 'feedback_exists' });
  });
});

import { ConflictError, NotFoundError, ValidationError } from '#core/errors.ts';
import type { CompletionRecorder, ServedCompletion } from '#core/inference/ports.ts';

/**
 * Feedback on served completions: one score per completion, attributed to the model that produced it and,
 * when the request named an alias, counted for that alias's variant, so an A/B test can be judged.
 */

/** Scores run from -1 (bad) through 0 (neutral) to 1 (good); thumbs down/up are -1 and 1. */
export const FEEDBACK_SCORE_MIN = -1;
export const FEEDBACK_SCORE_MAX = 1;
/** How long a served completion is kept for feedback (the log's items expire through the table's TTL). */
export const COMPLETION_RETENTION_DAYS = 30;
export const COMPLETION_RETENTION_SECONDS = COMPLETION_RETENTION_DAYS * 24 * 3600;
/** A comment is a note for whoever reviews the test, not a dataset. */
export const MAX_FEEDBACK_COMMENT_CHARS = 4000;

export interface Feedback {
  readonly score: number;
  readonly comment: string | null;
  /** Unix seconds. */
  readonly createdAt: number;
}

/** What recording feedback did: `completion` is what was served, so the answer can name model and alias. */
export type FeedbackOutcome =
  | { readonly status: 'recorded'; readonly completion: ServedCompletion }
  | { readonly status: 'not_found' }
  | { readonly status: 'duplicate' };

/** The log of served completions, which also takes their feedback. */
export interface CompletionLog extends CompletionRecorder {
  /** The team's served completion, or undefined (unknown, another team's, or expired). */
  getServed(team: string, id: string): Promise<ServedCompletion | undefined>;
  /**
   * Records feedback once per completion (a conditional write) and, for a completion served through an
   * alias, adds it to that variant's feedback count and sum in the same transaction.
   */
  recordFeedback(team: string, id: string, feedback: Feedback): Promise<FeedbackOutcome>;
}

/** OpenAI-style object for a recorded feedback. */
export interface FeedbackObject {
  object: 'feedback';
  completion_id: string;
  score: number;
  comment: string | null;
  model: string;
  alias: string | null;
  created: number;
}

/** Throws a 400 unless `score` is a finite number in [-1, 1]. */
export function validateFeedbackScore(score: number): void {
  if (!Number.isFinite(score) || score < FEEDBACK_SCORE_MIN || score > FEEDBACK_SCORE_MAX) {
    throw new ValidationError(
      `score must be a number from ${FEEDBACK_SCORE_MIN} (bad) to ${FEEDBACK_SCORE_MAX} (good), got ${score}.`,
      { param: 'score', code: 'invalid_value' },
    );
  }
}

/**
 * Records `feedback` for the team's completion `completionId`: 404 for an unknown, expired or other
 * team's completion (indistinguishable on purpose), 409 when it already has feedback.
 */
export async function giveFeedback(
  log: CompletionLog,
  team: string,
  completionId: string,
  feedback: Feedback,
): Promise<FeedbackObject> {
  validateFeedbackScore(feedback.score);
  const outcome = await log.recordFeedback(team, completionId, feedback);
  if (outcome.status === 'not_found') {
    throw new NotFoundError(
      `No completion '${completionId.slice(0, 200)}' was found; feedback can be given for a completion your team was served in the last ${COMPLETION_RETENTION_DAYS} days.`,
      { param: 'completion_id', code: 'completion_not_found' },
    );
  }
  if (outcome.status === 'duplicate') {
    throw new ConflictError(
      `The completion '${completionId.slice(0, 200)}' already has feedback; each completion takes one score.`,
      { param: 'completion_id', code: 'feedback_exists' },
    );
  }
  return {
    object: 'feedback',
    completion_id: completionId,
    score: feedback.score,
    comment: feedback.comment,
    model: outcome.completion.model,
    alias: outcome.completion.alias,
    created: feedback.createdAt,
  };
}

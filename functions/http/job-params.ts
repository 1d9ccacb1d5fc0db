import { HttpError } from '#core/errors.ts';
import { isWellFormedId } from '#core/ids.ts';
import { jobNotFound } from '#core/jobs/cancel-job.ts';
import type { AppDeps } from '#http/context.ts';

/** The path's job id, or the same 404 an unknown job gets: a malformed id never reaches a table key. */
export function requireJobId(id: string): string {
  if (!isWellFormedId(id, 'ftjob')) throw jobNotFound(id);
  return id;
}

/** The dispatcher, or 503: the API was built without a training backend (no Batch queues, no local runner). */
export function dispatcherOf(deps: Pick<AppDeps, 'dispatcher'>) {
  if (deps.dispatcher) return deps.dispatcher;
  throw new HttpError(503, 'Training is not configured on this deployment: no job queue is available.', {
    type: 'server_error',
    code: 'training_unavailable',
  });
}

import type { EstimateDeps } from '#core/estimate/estimate-service.ts';
import { isWellFormedId } from '#core/ids.ts';
import type { AppDeps } from '#http/context.ts';

/** The estimator's dependencies out of the API's: the team's files by well-formed id, and the rest as given. */
export function estimateDepsOf(deps: AppDeps): EstimateDeps {
  return {
    getFile: async (team: string, id: string) =>
      isWellFormedId(id, 'file') ? deps.files.get(team, id) : undefined,
    calibration: deps.calibration,
    budgets: deps.budgets,
    spend: deps.spend,
    trainer: deps.trainer,
    now: deps.now,
    ...(deps.prices ? { prices: deps.prices } : {}),
  };
}

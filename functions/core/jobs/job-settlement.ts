import { budgetMonth, type SpendLedger } from '#core/estimate/budget.ts';
import { INSTANCE_CATALOG } from '#core/estimate/instance-catalog.ts';
import { calibrationSampleFor } from '#core/estimate/run-estimate.ts';
import type { Backend, CalibrationSample, CalibrationStore } from '#core/estimate/throughput.ts';
import type { ActualCost, JobRecord } from '#core/jobs/job.ts';
import type { JobStore } from '#core/jobs/ports.ts';

/**
 * What happens once a job is finished and its run time is known: its actual cost is recorded on the job
 * (once), the team's spend ledger is corrected from the estimate it was charged at creation to that actual
 * cost, and a succeeded job's measured throughput is recorded for calibration, so the estimator's median
 * replaces the datasheet once a bucket has enough runs. The one conditional write decides who settles,
 * so a redelivered event settles nothing twice.
 */

export interface SettlementDeps {
  readonly jobs: Pick<JobStore, 'recordActualCost' | 'get'>;
  /** Absent where no ledger is kept (then only the job records its cost). */
  readonly spend?: SpendLedger;
  /** Absent where no calibration is kept. */
  readonly calibration?: CalibrationStore;
}

/** The hourly price a job is billed at: the one its estimate used, else the catalog's for that instance. */
export function hourlyPriceOf(job: Pick<JobRecord, 'estimate'>): number {
  const estimate = job.estimate;
  if (!estimate) return 0;
  if (estimate.on_demand_usd_per_hour !== undefined) return estimate.on_demand_usd_per_hour;
  return (
    INSTANCE_CATALOG.instances.find((i) => i.type === estimate.instance_type)?.on_demand_usd_per_hour ?? 0
  );
}

/** The actual cost of `wallSeconds` of run time, over `attempts` attempts, at the job's hourly price. */
export function actualCostOf(
  job: Pick<JobRecord, 'estimate'>,
  wallSeconds: number,
  attempts: number = wallSeconds > 0 ? 1 : 0,
): ActualCost {
  if (!(wallSeconds >= 0) || !Number.isFinite(wallSeconds)) {
    throw new RangeError(`a run's wall time must be a non-negative number of seconds, got ${wallSeconds}`);
  }
  const usdPerHour = hourlyPriceOf(job);
  return {
    wall_seconds: wallSeconds,
    usd_per_hour: usdPerHour,
    cost_usd: (wallSeconds / 3600) * usdPerHour,
    attempts,
  };
}

/**
 * TF.js's name for the backend the trainer ran on, as a calibration bucket's backend. `tensorflow` is the
 * native binding the image of the bucket's queue installs (tfjs-node, or tfjs-node-gpu on the GPU queue),
 * so it keeps the bucket's own; `wasm` (the embedded stack) is a bucket of its own, so that a laptop's speed
 * never passes for an instance's.
 */
function bucketBackend(measured: string, planned: Backend): Backend {
  return measured === 'wasm' ? 'tfjs-wasm' : planned;
}

/**
 * The calibration sample of a succeeded job (`calibrationSampleFor` over the part of the estimate the job
 * keeps), or null when it measured nothing or ran no Attune plan; in the bucket of the backend the trainer
 * actually used. A run of one attempt also says how its wall time split into training steps and the rest
 * (start-up, loading, upload); after a lost host the wall time holds the lost attempt too, so it does not.
 */
export function calibrationSampleOfJob(job: JobRecord, actual?: ActualCost): CalibrationSample | null {
  const estimate = job.estimate;
  const measured = job.measuredRun;
  const bucket = estimate?.calibration_bucket ?? null;
  if (!estimate || !measured || job.status !== 'succeeded') return null;
  if (!(measured.tokensPerSecond > 0) || !(estimate.training_tokens > 0)) return null;
  const split =
    actual?.attempts === 1 && actual.wall_seconds >= measured.trainingSeconds
      ? {
          trainingSeconds: measured.trainingSeconds,
          overheadSeconds: actual.wall_seconds - measured.trainingSeconds,
        }
      : {};
  const sample = calibrationSampleFor(
    {
      feasible: bucket !== null,
      plan: { calibration_bucket: bucket },
      flops: { value: estimate.flops },
      training_tokens: { value: estimate.training_tokens },
    },
    {
      tokensPerSecond: measured.tokensPerSecond,
      jobId: job.id,
      recordedAt: (job.finishedAt ?? job.createdAt) * 1000,
      ...split,
    },
  );
  if (!sample) return null;
  return {
    ...sample,
    bucket: { ...sample.bucket, backend: bucketBackend(measured.backend, sample.bucket.backend) },
  };
}

/**
 * Corrects the team's ledger from the estimate charged at creation to the actual cost, in the month the
 * estimate was charged to, whenever the job finishes; the ledger applies it once per job.
 */
async function correctLedger(deps: Pick<SettlementDeps, 'spend'>, job: JobRecord, actual: ActualCost) {
  const charged = job.estimate?.cost_usd.on_demand ?? 0;
  const month = budgetMonth(new Date(job.createdAt * 1000));
  await deps.spend?.correct(job.team, month, actual.cost_usd - charged, job.id);
}

/**
 * The rest of a settlement, for whoever recorded the job's actual cost (the terminal transition itself, or
 * `recordActualCost`): the ledger's correction and the calibration sample.
 */
export async function settleRecordedCost(
  deps: Omit<SettlementDeps, 'jobs'>,
  job: JobRecord,
  actual: ActualCost,
): Promise<void> {
  await correctLedger(deps, job, actual);
  const sample = deps.calibration ? calibrationSampleOfJob(job, actual) : null;
  if (sample) await deps.calibration?.record(sample);
}

/**
 * Settles a finished job whose run took `wallSeconds` (zero when it never ran). Does nothing for a job
 * that is not finished or was settled before.
 */
export async function settleJob(
  deps: SettlementDeps,
  job: JobRecord,
  wallSeconds: number,
  attempts?: number,
): Promise<boolean> {
  const actual = actualCostOf(job, wallSeconds, attempts);
  if (!(await deps.jobs.recordActualCost(job.team, job.id, actual))) {
    // Settled before, perhaps by a process that died before the ledger: finish that (the ledger is
    // once-only per job). The calibration sample of an interrupted settlement is not worth a duplicate.
    const recorded = (await deps.jobs.get(job.team, job.id))?.actualCost;
    if (recorded) await correctLedger(deps, job, recorded);
    return false;
  }
  await settleRecordedCost(deps, job, actual);
  return true;
}

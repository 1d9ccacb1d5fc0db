import { createHash, randomInt } from 'node:crypto';
import { type Clock, clockOf, epochSeconds } from '#core/clock.ts';
import { NotFoundError, ValidationError } from '#core/errors.ts';
import { assertWithinBudget, budgetMonth } from '#core/estimate/budget.ts';
import type { EstimateRequest } from '#core/estimate/estimate-request.ts';
import { createEstimate, type EstimateDeps } from '#core/estimate/estimate-service.ts';
import type { RunEstimate } from '#core/estimate/run-estimate.ts';
import type { FileRecord } from '#core/files.ts';
import { DEFAULT_VIRTUAL_TOKENS } from '#core/hyperparameters.ts';
import { isWellFormedId, newId } from '#core/ids.ts';
import { type DispatchPlan, type JobDispatcher, planDispatch } from '#core/jobs/dispatch.ts';
import type { JobEstimate, JobRecord } from '#core/jobs/job.ts';
import { logJobEvent } from '#core/jobs/job-lifecycle.ts';
import { resolveJobModel } from '#core/jobs/job-model.ts';
import type { CreateJobRequest } from '#core/jobs/job-request.ts';
import { settleJob } from '#core/jobs/job-settlement.ts';
import { formatTunedModelName, modelIdOfJob } from '#core/jobs/model-names.ts';
import type { JobStore, ModelStore } from '#core/jobs/ports.ts';

/**
 * `POST /v1/fine_tuning/jobs` without HTTP. Everything that can be wrong with a request is checked before
 * anything is written or sent to Batch: the model, the files, the hyper-parameters (already parsed), the
 * estimate's feasibility and the team's budget. Only then is the job stored and dispatched.
 */

export interface CreateJobDeps {
  readonly jobs: JobStore;
  readonly models: ModelStore;
  readonly dispatcher: JobDispatcher;
  /** The estimator's dependencies: the team's files, calibration, budgets and the month's spend. */
  readonly estimates: EstimateDeps;
  readonly now?: Clock;
}

async function requireTrainingFile(
  deps: CreateJobDeps,
  team: string,
  fileId: string,
  param: string,
): Promise<FileRecord> {
  const record = isWellFormedId(fileId, 'file') ? await deps.estimates.getFile(team, fileId) : undefined;
  if (!record) {
    throw new NotFoundError(`No such File object: ${fileId.slice(0, 80)}`, { param, code: 'file_not_found' });
  }
  if (record.purpose !== 'fine-tune') {
    throw new ValidationError(`File ${fileId} has purpose '${record.purpose}'; a job needs 'fine-tune'.`, {
      param,
      code: 'invalid_file_purpose',
    });
  }
  if (record.status !== 'processed') {
    const state =
      record.status === 'error'
        ? `failed validation (${record.statusDetails ?? 'see its validation errors'})`
        : 'is still being processed; wait until its status is "processed"';
    throw new ValidationError(`File ${fileId} ${state}.`, { param, code: 'file_not_processed' });
  }
  return record;
}

function compactEstimate(run: RunEstimate, pricesAsOf: string): JobEstimate {
  return {
    method: run.method,
    trainable_parameters: run.trainable_parameters.value,
    training_tokens: run.training_tokens.value,
    flops: run.flops.value,
    memory_bytes: run.memory.total_bytes,
    instance_type: run.plan?.instance_type ?? 'none',
    wall_clock_hours: run.wall_clock_hours ?? 0,
    cost_usd: run.cost_usd ?? { on_demand: 0, spot: 0 },
    throughput_source: run.plan?.throughput.source ?? 'none',
    prices_as_of: pricesAsOf,
    on_demand_usd_per_hour: run.plan?.price.on_demand_usd_per_hour ?? 0,
    calibration_bucket: run.feasible ? (run.plan?.calibration_bucket ?? null) : null,
    local_wall_clock_seconds: run.local_run?.wall_clock_seconds ?? null,
  };
}

/**
 * How long the run should take: on the embedded stack its time on this machine (the estimate's
 * `local_run`, measured here), in AWS the estimate's wall clock on the planned instance.
 */
function expectedRunSeconds(run: RunEstimate): number {
  return run.local_run?.wall_clock_seconds ?? (run.wall_clock_hours ?? 0) * 3600;
}

/** The job's own run as an estimate request: the same description the estimates API prices. */
function estimateRequestOf(baseModel: string, request: CreateJobRequest): EstimateRequest {
  const h = request.method.hyperparameters;
  return {
    model: baseModel,
    training_file: request.trainingFile,
    validation_file: request.validationFile ?? undefined,
    methods: [request.method.type],
    hyperparameters: {
      n_epochs: h.n_epochs,
      batch_size: h.batch_size,
      learning_rate_multiplier: h.learning_rate_multiplier,
      num_virtual_tokens: h.num_virtual_tokens ?? DEFAULT_VIRTUAL_TOKENS,
    },
    budget_usd: null,
    deadline_hours: null,
    data_sensitivity: null,
    iteration: null,
    portability: null,
  };
}

/** The estimate of the job's own run; an infeasible run is refused with the estimator's reason. */
async function estimateJob(deps: CreateJobDeps, team: string, baseModel: string, request: CreateJobRequest) {
  const estimate = await createEstimate(deps.estimates, team, estimateRequestOf(baseModel, request));
  const run = estimate.methods[request.method.type];
  if (!run) throw new Error(`the estimate has no ${request.method.type} run`);
  if (!run.feasible) {
    throw new ValidationError(`This job cannot run on Attune's trainer: it ${run.infeasible_reason}`, {
      param: 'model',
      code: 'job_infeasible',
    });
  }
  if (estimate.budget) assertWithinBudget(estimate.budget, run.cost_usd?.on_demand ?? 0);
  return { run, pricesAsOf: estimate.prices.as_of };
}

/** A digest of what a request asks for: the same key with a different request is a client bug. */
export function requestFingerprint(request: CreateJobRequest): string {
  return createHash('sha256').update(JSON.stringify(request)).digest('hex');
}

/**
 * Creates and dispatches a job, or returns the job an earlier request with the same idempotency key
 * created (without dispatching it again). A dispatch failure marks the job failed and is rethrown.
 */
export async function createJob(
  deps: CreateJobDeps,
  team: string,
  request: CreateJobRequest,
  idempotencyKey?: string,
): Promise<JobRecord> {
  const resolved = await resolveJobModel(deps.models, team, request.model, request.method.type);
  await requireTrainingFile(deps, team, request.trainingFile, 'training_file');
  if (request.validationFile)
    await requireTrainingFile(deps, team, request.validationFile, 'validation_file');
  const { run, pricesAsOf } = await estimateJob(deps, team, resolved.baseModel, request);
  const plan = planDispatch(run);
  const now = clockOf(deps)();
  const id = newId('ftjob');
  const job: JobRecord = {
    team,
    id,
    createdAt: Math.floor(now / 1000),
    model: request.model,
    baseModel: resolved.baseModel,
    method: request.method,
    trainingFile: request.trainingFile,
    validationFile: request.validationFile,
    suffix: request.suffix,
    seed: request.seed ?? randomInt(0, 2_147_483_647),
    metadata: request.metadata,
    outputModel: formatTunedModelName({
      kind: request.method.type === 'supervised' ? 'ft' : 'pt',
      base: resolved.baseModel,
      team,
      suffix: request.suffix ?? '',
      id: modelIdOfJob(id),
    }),
    status: 'validating_files',
    error: null,
    finishedAt: null,
    trainedTokens: null,
    estimatedFinish: Math.floor(now / 1000 + expectedRunSeconds(run)),
    estimate: compactEstimate(run, pricesAsOf),
    batchJobId: null,
    queue: plan.queue,
    queueReason: plan.reason,
  };
  const claim = idempotencyKey
    ? { key: idempotencyKey, fingerprint: requestFingerprint(request) }
    : undefined;
  const outcome = await deps.jobs.create(job, claim);
  if (!outcome.created) return outcome.job;
  return dispatchCreated(deps, job, plan, now);
}

/**
 * Charges the estimate to the team's month, logs the creation and submits the run. Any failure on the way
 * (DynamoDB, Batch) fails the job with the reason and settles it at zero cost, rather than leaving it in
 * `validating_files` with nothing to move it on. A process that dies in this window leaves the job there
 * with no Batch job id: the embedded stack's runner dispatches such jobs when it resumes, and
 * the scheduled sweep fails them in AWS once no dispatch can still be under way (interrupted-dispatch.ts).
 */
async function dispatchCreated(
  deps: CreateJobDeps,
  job: JobRecord,
  plan: DispatchPlan,
  now: number,
): Promise<JobRecord> {
  const { team, id } = job;
  let charged = false;
  let batchJobId: string;
  try {
    await deps.estimates.spend.add(team, budgetMonth(new Date(now)), job.estimate?.cost_usd.on_demand ?? 0);
    charged = true;
    await logJobEvent(deps, job, 'info', `Created fine-tuning job: ${id}`, {
      queue: plan.queue,
      reason: plan.reason,
    });
    ({ batchJobId } = await deps.dispatcher.submit(job, plan));
  } catch (error) {
    const message = `The job could not be dispatched: ${(error as Error).message}`;
    const failed = await deps.jobs.transition(team, id, 'failed', {
      error: { code: 'dispatch_failed', message, param: null },
      finishedAt: epochSeconds(clockOf(deps)),
      estimatedFinish: null,
    });
    if (failed.applied && failed.job) {
      await settleJob(
        { jobs: deps.jobs, ...(charged ? { spend: deps.estimates.spend } : {}) },
        failed.job,
        0,
      );
    }
    throw error;
  }
  const queued = await deps.jobs.transition(team, id, 'queued', { batchJobId });
  const current = queued.job ?? job;
  if (queued.applied) await logJobEvent(deps, job, 'info', 'Job queued', { batch_job_id: batchJobId });
  if (!queued.applied && current.status === 'cancelled') {
    await deps.dispatcher.cancel(
      { team, id, batchJobId, status: 'queued' },
      'The Attune job was cancelled while it was being dispatched',
    );
  }
  return current;
}

import { type Clock, clockOf } from '#core/clock.ts';
import { NotFoundError, ValidationError } from '#core/errors.ts';
import { budgetStatus, type SpendLedger, type TeamBudgets } from '#core/estimate/budget.ts';
import { buildEstimate, type Estimate } from '#core/estimate/estimate.ts';
import type { EstimateRequest } from '#core/estimate/estimate-request.ts';
import type { DataProfile } from '#core/estimate/formulas.ts';
import { INSTANCE_CATALOG } from '#core/estimate/instance-catalog.ts';
import {
  countParameters,
  findCatalogModel,
  MODEL_CATALOG,
  type ModelShape,
} from '#core/estimate/model-catalog.ts';
import { attuneBackend } from '#core/estimate/plans.ts';
import { CATALOG_ONLY, type PriceProvider } from '#core/estimate/prices.ts';
import {
  bucketKey,
  type CalibrationBucket,
  type CalibrationStore,
  type Measurement,
  modelSizeClass,
} from '#core/estimate/throughput.ts';
import type { TrainerSite } from '#core/estimate/trainer-site.ts';
import type { FileRecord } from '#core/files.ts';

/**
 * `POST /v1/estimates` without HTTP: resolves the team's file and model, reads calibration and budget,
 * and builds the estimate. Entry points parse the body with `EstimateRequestSchema` and call this.
 */

export interface EstimateDeps {
  /** The team's file, or undefined (absent or another team's: the same answer on purpose). */
  readonly getFile: (team: string, fileId: string) => Promise<FileRecord | undefined>;
  /** A base model of the team by name, beyond the catalog; undefined when it has none of that name. */
  readonly getTeamModel?: (team: string, name: string) => Promise<ModelShape | undefined>;
  readonly calibration: CalibrationStore;
  readonly budgets: TeamBudgets;
  readonly spend: SpendLedger;
  /** Live on-demand prices (the AWS Price List when deployed); the catalog's table when absent. */
  readonly prices?: PriceProvider;
  /** Where Attune's trainer runs (AWS Batch when absent); the embedded stack's runs are timed as its own. */
  readonly trainer?: TrainerSite;
  readonly now?: Clock;
}

async function resolveModel(deps: EstimateDeps, team: string, name: string): Promise<ModelShape> {
  const model = findCatalogModel(name) ?? (await deps.getTeamModel?.(team, name));
  if (model) return model;
  const known = MODEL_CATALOG.map((m) => m.name).join(', ');
  throw new ValidationError(`The model '${name.slice(0, 100)}' does not exist. Catalog models: ${known}.`, {
    param: 'model',
    code: 'model_not_found',
  });
}

/** A processed file's token statistics; a missing, foreign or unprocessed file is a clear 4xx naming `param`. */
async function processedTokens(deps: EstimateDeps, team: string, fileId: string, param: string) {
  const record = await deps.getFile(team, fileId);
  if (!record) throw new NotFoundError(`No such File object: ${fileId.slice(0, 80)}`, { param });
  const tokens = record.report?.tokens;
  if (record.status !== 'processed' || !record.report || !tokens) {
    const state =
      record.status === 'error'
        ? `failed validation (${record.statusDetails ?? 'see its errors'})`
        : 'is still being processed';
    throw new ValidationError(`File ${fileId} ${state}; an estimate needs a processed file.`, {
      param,
      code: 'file_not_processed',
    });
  }
  return { examples: record.report.examples, tokens };
}

async function dataProfile(deps: EstimateDeps, team: string, request: EstimateRequest): Promise<DataProfile> {
  const validation = request.validation_file
    ? (await processedTokens(deps, team, request.validation_file, 'validation_file')).tokens.total
    : (request.validation_tokens ?? 0);
  if (request.training_file) {
    const { examples, tokens } = await processedTokens(deps, team, request.training_file, 'training_file');
    return { examples, meanTokens: tokens.mean, longTokens: tokens.p95, validationTokens: validation };
  }
  const examples = request.examples as number;
  const mean = (request.training_tokens as number) / examples;
  return { examples, meanTokens: mean, longTokens: mean, validationTokens: validation };
}

/**
 * Every bucket an Attune plan of this model could fall in, read once so the builder stays synchronous; in
 * the embedded stack, their wasm twins too. Wasm runs all ran on the one machine of the local runner,
 * whichever instance their plan named, so a wasm bucket answers with the wasm runs of every instance type.
 */
async function loadMeasurements(
  store: CalibrationStore,
  parameters: number,
  trainer: TrainerSite,
): Promise<(bucket: CalibrationBucket) => readonly Measurement[]> {
  const buckets: CalibrationBucket[] = [];
  for (const instance of INSTANCE_CATALOG.instances) {
    for (const method of ['supervised', 'prompt_tuning'] as const) {
      const bucket = {
        instanceType: instance.type,
        backend: attuneBackend(instance),
        method,
        modelSize: modelSizeClass(parameters),
      };
      buckets.push(bucket);
      if (trainer === 'embedded') buckets.push({ ...bucket, backend: 'tfjs-wasm' });
    }
  }
  const loaded = new Map<string, readonly Measurement[]>();
  await Promise.all(buckets.map(async (b) => loaded.set(bucketKey(b), await store.recent(b))));
  const wasmRuns = (method: CalibrationBucket['method']) =>
    buckets
      .filter((b) => b.method === method && b.backend === 'tfjs-wasm')
      .flatMap((b) => loaded.get(bucketKey(b)) ?? []);
  return (bucket) =>
    bucket.backend === 'tfjs-wasm' ? wasmRuns(bucket.method) : (loaded.get(bucketKey(bucket)) ?? []);
}

/**
 * The estimate for `team`: its model and files resolved under its own partition (another team's file is
 * a 404), measured throughput read for every bucket a plan could use, and its month's budget.
 */
export async function createEstimate(
  deps: EstimateDeps,
  team: string,
  request: EstimateRequest,
): Promise<Estimate> {
  const now = new Date(clockOf(deps)());
  const model = await resolveModel(deps, team, request.model);
  const data = await dataProfile(deps, team, request);
  const [measured, budget, livePrices] = await Promise.all([
    loadMeasurements(deps.calibration, countParameters(model), deps.trainer ?? 'aws_batch'),
    budgetStatus(deps.budgets, deps.spend, team, now),
    (deps.prices ?? CATALOG_ONLY).onDemandPrices(INSTANCE_CATALOG.instances.map((i) => i.type)),
  ]);
  return buildEstimate({
    model,
    data,
    files: { training_file: request.training_file ?? null, validation_file: request.validation_file ?? null },
    methods: request.methods,
    hyperparameters: request.hyperparameters,
    drivers: {
      // Without a budget of its own, the estimate is held to what is left of the team's month.
      budget_usd: request.budget_usd ?? Math.max(0, budget.remaining_usd),
      deadline_hours: request.deadline_hours,
      data_sensitivity: request.data_sensitivity,
      iteration: request.iteration,
      portability: request.portability,
    },
    measured,
    budget,
    now,
    livePrices,
    ...(deps.trainer ? { trainer: deps.trainer } : {}),
  });
}

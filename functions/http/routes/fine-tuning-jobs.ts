import { Hono } from 'hono';
import { getClients } from '#aws/clients.ts';
import type { AttuneConfig } from '#aws/config.ts';
import { JobRepository } from '#aws/job-repository.ts';
import { ModelRepository } from '#aws/model-repository.ts';
import { HttpError, ValidationError } from '#core/errors.ts';
import { isWellFormedId } from '#core/ids.ts';
import { cancelJob, jobNotFound } from '#core/jobs/cancel-job.ts';
import { createJob, failInterruptedDispatch } from '#core/jobs/create-job.ts';
import { toOpenAIJob } from '#core/jobs/job.ts';
import { toOpenAICheckpoint, toOpenAIJobEvent } from '#core/jobs/job-events.ts';
import { CreateJobBodySchema, MetadataSchema, toCreateJobRequest } from '#core/jobs/job-request.ts';
import type { JobStore, ModelStore } from '#core/jobs/ports.ts';
import { type PageRequest, parsePageRequest, toListPage } from '#core/pagination.ts';
import type { AppDeps, AppEnv } from '#http/context.ts';
import { readJsonBody } from '#http/json-body.ts';
import { defaultEstimateOptions, type EstimateRouteOptions } from '#http/routes/estimates.ts';

/** Where the jobs routes keep jobs and models, and what the estimate gate reads. */
export interface JobRouteOptions {
  readonly jobs: JobStore;
  readonly models: ModelStore;
  readonly estimates: EstimateRouteOptions;
}

/** The table the rest of the API uses, through the process's one set of clients. */
export function defaultJobRouteOptions(config: AttuneConfig): JobRouteOptions {
  const { dynamo } = getClients(config);
  return {
    jobs: new JobRepository(dynamo, config.tableName),
    models: new ModelRepository(dynamo, config.tableName),
    estimates: defaultEstimateOptions(config),
  };
}

const MAX_IDEMPOTENCY_KEY = 255;

/** The `Idempotency-Key` header: printable ASCII, at most 255 characters; absent means no idempotency. */
export function idempotencyKeyOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (header.length === 0 || header.length > MAX_IDEMPOTENCY_KEY || !/^[\x21-\x7e]+$/.test(header)) {
    throw new ValidationError(
      `The Idempotency-Key header must be 1-${MAX_IDEMPOTENCY_KEY} printable ASCII characters without spaces.`,
      { param: 'Idempotency-Key', code: 'invalid_idempotency_key' },
    );
  }
  return header;
}

/** `metadata[key]=value` query parameters, as OpenAI's clients send a metadata filter. */
export function metadataFilterOf(query: Record<string, string>): Record<string, string> | undefined {
  const pairs: Record<string, string> = {};
  for (const [name, value] of Object.entries(query)) {
    const match = /^metadata\[(.+)\]$/.exec(name);
    if (match?.[1] !== undefined) pairs[match[1]] = value;
  }
  if (Object.keys(pairs).length === 0) return undefined;
  const parsed = MetadataSchema.safeParse(pairs);
  if (!parsed.success) {
    throw new ValidationError(`Invalid metadata filter: ${parsed.error.issues[0]?.message ?? 'invalid'}`, {
      param: 'metadata',
    });
  }
  return parsed.data;
}

function pageOf(query: Record<string, string>, prefix: string): PageRequest {
  const page = parsePageRequest(query);
  if (page.after !== undefined && !isWellFormedId(page.after, prefix)) {
    throw new ValidationError(
      `Invalid value for 'after': '${page.after.slice(0, 80)}' is not a ${prefix} id.`,
      {
        param: 'after',
        code: 'invalid_value',
      },
    );
  }
  return page;
}

function requireJobId(id: string): string {
  if (!isWellFormedId(id, 'ftjob')) throw jobNotFound(id);
  return id;
}

/** 503: the API was built without a training backend (no Batch queues, no local runner). */
function noTrainingBackend(): HttpError {
  return new HttpError(503, 'Training is not configured on this deployment: no job queue is available.', {
    type: 'server_error',
    code: 'training_unavailable',
  });
}

/**
 * OpenAI's fine-tuning jobs API for the team `c.var.team`. A create is validated in full (body, model,
 * files, hyper-parameters, estimate, budget) before anything is written or dispatched.
 */
export function fineTuningJobRoutes(
  deps: AppDeps,
  options: JobRouteOptions = defaultJobRouteOptions(deps.config),
): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  const { jobs, models } = options;
  const settlement = { jobs, spend: options.estimates.spend };
  const getFile = async (team: string, id: string) =>
    isWellFormedId(id, 'file') ? deps.files.get(team, id) : undefined;

  routes.post('/fine_tuning/jobs', async (c) => {
    const key = idempotencyKeyOf(c.req.header('idempotency-key'));
    const request = toCreateJobRequest(await readJsonBody(c.req.raw, CreateJobBodySchema));
    const dispatcher = deps.dispatcher;
    if (!dispatcher) throw noTrainingBackend();
    const job = await createJob(
      { jobs, models, dispatcher, estimates: { ...options.estimates, getFile } },
      c.var.team,
      request,
      key,
    );
    return c.json(toOpenAIJob(job), 200);
  });

  routes.get('/fine_tuning/jobs', async (c) => {
    const query = c.req.query();
    const page = pageOf(query, 'ftjob');
    const metadata = metadataFilterOf(query);
    const records = await jobs.list(c.var.team, metadata ? { ...page, metadata } : page);
    const current = await Promise.all(records.map((job) => failInterruptedDispatch(settlement, job)));
    return c.json(toListPage(current.map(toOpenAIJob), page.limit));
  });

  routes.get('/fine_tuning/jobs/:id', async (c) => {
    const id = requireJobId(c.req.param('id'));
    const job = await jobs.get(c.var.team, id);
    if (!job) throw jobNotFound(id);
    return c.json(toOpenAIJob(await failInterruptedDispatch(settlement, job)));
  });

  routes.post('/fine_tuning/jobs/:id/cancel', async (c) => {
    const id = requireJobId(c.req.param('id'));
    const dispatcher = deps.dispatcher;
    if (!dispatcher) throw noTrainingBackend();
    return c.json(toOpenAIJob(await cancelJob({ ...settlement, dispatcher }, c.var.team, id)));
  });

  routes.get('/fine_tuning/jobs/:id/events', async (c) => {
    const id = requireJobId(c.req.param('id'));
    const page = pageOf(c.req.query(), 'ftevent');
    if (!(await jobs.get(c.var.team, id))) throw jobNotFound(id);
    const events = await jobs.listEvents(c.var.team, id, page);
    return c.json(toListPage(events.map(toOpenAIJobEvent), page.limit));
  });

  routes.get('/fine_tuning/jobs/:id/checkpoints', async (c) => {
    const id = requireJobId(c.req.param('id'));
    const page = pageOf(c.req.query(), 'ftckpt');
    const job = await jobs.get(c.var.team, id);
    if (!job) throw jobNotFound(id);
    const checkpoints = await jobs.listCheckpoints(c.var.team, id, page);
    return c.json(
      toListPage(
        checkpoints.map((k) => toOpenAICheckpoint(k, job.outputModel)),
        page.limit,
      ),
    );
  });

  return routes;
}

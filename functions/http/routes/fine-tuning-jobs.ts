import { Hono } from 'hono';
import { cancelJob } from '#core/jobs/cancel-job.ts';
import { createJob } from '#core/jobs/create-job.ts';
import { toOpenAIJob } from '#core/jobs/job.ts';
import { toOpenAICheckpoint, toOpenAIJobEvent } from '#core/jobs/job-events.ts';
import { getJob, listJobCheckpoints, listJobEvents, listJobs } from '#core/jobs/job-queries.ts';
import { CreateJobBodySchema, toCreateJobRequest } from '#core/jobs/job-request.ts';
import { toListPage } from '#core/pagination.ts';
import type { AppDeps, AppEnv } from '#http/context.ts';
import { estimateDepsOf } from '#http/estimate-deps.ts';
import { dispatcherOf, requireJobId } from '#http/job-params.ts';
import { readJsonBody } from '#http/json-body.ts';
import { idempotencyKeyOf, metadataFilterOf, pageOf } from '#http/query.ts';

/**
 * OpenAI's fine-tuning jobs API for the team `c.var.team`. A create is validated in full (body, model,
 * files, hyper-parameters, estimate, budget) before anything is written or dispatched. Reads write nothing.
 */
export function fineTuningJobRoutes(deps: AppDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  const estimates = estimateDepsOf(deps);

  routes.post('/fine_tuning/jobs', async (c) => {
    const key = idempotencyKeyOf(c.req.header('idempotency-key'));
    const request = toCreateJobRequest(await readJsonBody(c.req.raw, CreateJobBodySchema));
    const creating = { ...deps, dispatcher: dispatcherOf(deps), estimates };
    return c.json(toOpenAIJob(await createJob(creating, c.var.team, request, key)), 200);
  });

  routes.get('/fine_tuning/jobs', async (c) => {
    const page = pageOf(c.req.query(), 'ftjob');
    const metadata = metadataFilterOf(c.req.query());
    const jobs = await listJobs(deps, c.var.team, metadata ? { ...page, metadata } : page);
    return c.json(toListPage(jobs.map(toOpenAIJob), page.limit));
  });

  routes.get('/fine_tuning/jobs/:id', async (c) =>
    c.json(toOpenAIJob(await getJob(deps, c.var.team, requireJobId(c.req.param('id'))))),
  );

  routes.post('/fine_tuning/jobs/:id/cancel', async (c) => {
    const id = requireJobId(c.req.param('id'));
    const job = await cancelJob({ ...deps, dispatcher: dispatcherOf(deps) }, c.var.team, id);
    return c.json(toOpenAIJob(job));
  });

  routes.get('/fine_tuning/jobs/:id/events', async (c) => {
    const id = requireJobId(c.req.param('id'));
    const page = pageOf(c.req.query(), 'ftevent');
    const events = await listJobEvents(deps, c.var.team, id, page);
    return c.json(toListPage(events.map(toOpenAIJobEvent), page.limit));
  });

  routes.get('/fine_tuning/jobs/:id/checkpoints', async (c) => {
    const id = requireJobId(c.req.param('id'));
    const page = pageOf(c.req.query(), 'ftckpt');
    const { job, checkpoints } = await listJobCheckpoints(deps, c.var.team, id, page);
    return c.json(
      toListPage(
        checkpoints.map((k) => toOpenAICheckpoint(k, job.outputModel)),
        page.limit,
      ),
    );
  });

  return routes;
}

import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '#http/context.ts';
import { readJsonBody } from '#http/json-body.ts';
import type { CompletionService } from '#inference/completion-service.ts';
import {
  ChatCompletionRequestSchema,
  CompletionRequestSchema,
  chatInput,
  completionInput,
  refuseUnsupported,
} from '#inference/request-schema.ts';

const AnyObject = z.record(z.string(), z.unknown());

/** `POST /completions` and `POST /chat/completions` (mounted under `/v1`). */
export function completionRoutes(service: CompletionService): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.post('/completions', async (c) => {
    const body = await readJsonBody(c.req.raw, AnyObject);
    refuseUnsupported(body);
    const input = completionInput(c.var.team, CompletionRequestSchema.parse(body));
    return c.json(await service.complete(input.request, input.prompt, input.params));
  });

  routes.post('/chat/completions', async (c) => {
    const body = await readJsonBody(c.req.raw, AnyObject);
    refuseUnsupported(body);
    const input = chatInput(c.var.team, ChatCompletionRequestSchema.parse(body));
    return c.json(await service.chat(input.request, input.messages, input.params));
  });

  return routes;
}

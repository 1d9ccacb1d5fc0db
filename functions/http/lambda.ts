import { handle } from 'hono/aws-lambda';
import { apiDepsFromEnv } from '#http/api-deps.ts';
import { createApp } from '#http/app.ts';

/**
 * The API Lambda's entry point, and its composition root: the environment is read and the app built once
 * per execution environment, at init (no network call happens there), and reused by every invocation.
 */
export const handler = handle(createApp(apiDepsFromEnv(process.env)));

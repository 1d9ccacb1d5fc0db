import { handle } from 'hono/aws-lambda';
import { createAppFromEnv } from '#http/app-from-env.ts';

/**
 * The API Lambda's entry point. The app, its configuration and its SDK clients are built once per
 * execution environment, at module load (no network call happens there), and reused by every invocation.
 */
export const handler = handle(createAppFromEnv());

import type { Hono } from 'hono';
import { handle } from 'hono/aws-lambda';
import type { AppEnv } from '#http/context.ts';
import { createInferenceApp } from '#inference/app.ts';
import { inferenceDepsFromEnv } from '#inference/deps-from-env.ts';
import { initBackend } from '#model/backend.ts';

/**
 * The inference Lambda's entry point. The app and its clients are built once per execution environment at
 * module load; the TF.js backend (wasm, binaries beside the bundle or in ATTUNE_TFJS_WASM_DIR) starts
 * once per container, on the first invocation, and every later invocation reuses it and the warm models.
 */
const app: Hono<AppEnv> = createInferenceApp(inferenceDepsFromEnv());
const serve = handle(app);

export const handler: typeof serve = async (event, context) => {
  await initBackend();
  return serve(event, context);
};
